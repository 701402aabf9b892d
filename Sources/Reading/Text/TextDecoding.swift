import Foundation
import Transformer

/// Why an input could not be read as text. The description is one line naming the input.
public enum TextInputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Zero bytes.
    case empty(name: String)
    /// Only whitespace and invisible characters.
    case noVisibleText(name: String)
    /// A NUL byte, or mostly control bytes: not a text file.
    case binary(name: String, byteOffset: Int)
    /// A UTF-16 or UTF-32 byte-order mark.
    case wideUnicode(name: String, encoding: String)
    /// Neither valid UTF-8 nor plausible GB18030.
    case invalidUTF8(name: String, byteOffset: Int, line: Int)
    /// Looks like GBK/GB18030 but this Foundation could not decode it.
    case undecodableChineseEncoding(name: String)

    public var description: String {
        switch self {
        case .empty(let name):
            return "\(name): the input is empty"
        case .noVisibleText(let name):
            return "\(name): the input contains only whitespace"
        case .binary(let name, let offset):
            return "\(name): looks like binary data, not text (control byte at offset \(offset))"
        case .wideUnicode(let name, let encoding):
            return "\(name): the input is \(encoding) text; convert it with `iconv -f \(encoding) -t UTF-8`"
        case .invalidUTF8(let name, let offset, let line):
            return "\(name): not valid UTF-8 (first invalid byte at offset \(offset), line \(line))"
        case .undecodableChineseEncoding(let name):
            return "\(name): looks like GBK/GB18030 text; convert it with `iconv -f GB18030 -t UTF-8`"
        }
    }
}

/// The character encoding an input was decoded from.
public enum SourceEncoding: String, Sendable, Equatable {
    case utf8 = "UTF-8"
    case gb18030 = "GB18030"
}

/// Decoded text plus what is needed to point back into the original bytes.
public struct DecodedText: Sendable {
    /// The name used in messages (usually the file path).
    public let name: String
    public let text: String
    public let encoding: SourceEncoding
    /// The byte offset in the original input of each Unicode scalar of `text`, plus one final entry: the input's length.
    public let scalarByteOffsets: [Int]
    /// Byte offsets at which lines of the original input start (the first is 0).
    public let lineStartOffsets: [Int]

    /// Text that already is a Swift string, as if read from a UTF-8 file of the same content.
    public init(utf8Text text: String, name: String) {
        self = TextDecoder.make(name: name, text: text, encoding: .utf8, offsets: TextDecoder.utf8ScalarOffsets(text))
    }

    init(name: String, text: String, encoding: SourceEncoding, scalarByteOffsets: [Int], lineStartOffsets: [Int]) {
        self.name = name
        self.text = text
        self.encoding = encoding
        self.scalarByteOffsets = scalarByteOffsets
        self.lineStartOffsets = lineStartOffsets
    }

    /// The 1-based line of the original input containing `byteOffset`.
    public func line(ofByteOffset byteOffset: Int) -> Int {
        lineNumber(ofByteOffset: byteOffset, lineStarts: lineStartOffsets)
    }
}

/// Turns the bytes of a user's file into text: UTF-8, with GB18030 (a superset of GBK) as a fallback.
public enum TextDecoder {
    /// Foundation's NSStringEncoding for GB18030 (`CFStringConvertEncodingToNSStringEncoding(kCFStringEncodingGB_18030_2000)`).
    /// The CF conversion function is not exported by Foundation on Linux; the value is stable.
    static let gb18030Encoding = String.Encoding(rawValue: 0x8000_0632)

    public static func decode(_ data: Data, name: String) throws(TextInputError) -> DecodedText {
        try decode([UInt8](data), name: name)
    }

    public static func decode(_ bytes: [UInt8], name: String) throws(TextInputError) -> DecodedText {
        guard !bytes.isEmpty else { throw .empty(name: name) }
        if let encoding = wideUnicodeEncoding(of: bytes) { throw .wideUnicode(name: name, encoding: encoding) }
        if let offset = binaryEvidenceOffset(in: bytes) { throw .binary(name: name, byteOffset: offset) }

        let decoded: DecodedText
        if let invalidOffset = firstInvalidUTF8Offset(in: bytes) {
            // Only worth trying GB18030 when the bytes look like GBK Chinese and not like UTF-8 with a few
            // bad bytes; otherwise Latin-1 text or damaged UTF-8 would "decode" into nonsense Han characters.
            guard looksLikeGB18030(bytes) else {
                throw .invalidUTF8(name: name, byteOffset: invalidOffset, line: lineNumber(ofByteOffset: invalidOffset, in: bytes))
            }
            guard let text = String(data: Data(bytes), encoding: gb18030Encoding) else {
                throw .undecodableChineseEncoding(name: name)
            }
            guard isMostlyChinese(text) else {
                throw .invalidUTF8(name: name, byteOffset: invalidOffset, line: lineNumber(ofByteOffset: invalidOffset, in: bytes))
            }
            decoded = make(name: name, text: text, encoding: .gb18030, offsets: gb18030ScalarOffsets(bytes, scalarCount: text.unicodeScalars.count))
        } else {
            let text = String(decoding: bytes, as: UTF8.self)
            decoded = make(name: name, text: text, encoding: .utf8, offsets: utf8ScalarOffsets(text))
        }
        guard decoded.text.unicodeScalars.contains(where: { !isBlank($0) }) else { throw .noVisibleText(name: name) }
        return decoded
    }

    /// `bytes` as UTF-8 exactly as written: no GB18030 fallback and nothing removed (prompts, tokenization).
    public static func decodeUTF8(_ bytes: [UInt8], name: String) throws(TextInputError) -> String {
        if let offset = firstInvalidUTF8Offset(in: bytes) {
            throw .invalidUTF8(name: name, byteOffset: offset, line: lineNumber(ofByteOffset: offset, in: bytes))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Checks

    /// UTF-16/32 files are full of NUL bytes; name the real problem instead of calling them binary.
    static func wideUnicodeEncoding(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return "UTF-32LE" }
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return "UTF-32BE" }
        if bytes.starts(with: [0xFF, 0xFE]) { return "UTF-16LE" }
        if bytes.starts(with: [0xFE, 0xFF]) { return "UTF-16BE" }
        return nil
    }

    /// The offset of the first NUL byte, or of the first control byte when more than 10% of the first 64 KiB
    /// are control bytes (other than tab, newlines, form feed and escape-free whitespace); nil for text.
    static func binaryEvidenceOffset(in bytes: [UInt8]) -> Int? {
        if let nul = bytes.firstIndex(of: 0) { return nul }
        let sample = bytes.prefix(65_536)
        var controlCount = 0
        var firstControl: Int?
        for (offset, byte) in sample.enumerated() where isBinaryControl(byte) {
            controlCount += 1
            if firstControl == nil { firstControl = offset }
        }
        return controlCount * 10 > sample.count ? firstControl : nil
    }

    private static func isBinaryControl(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D: return false
        case 0x00...0x1F, 0x7F: return true
        default: return false
        }
    }

    /// The offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode 3.9, table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF); nil when all of `bytes` is valid.
    static func firstInvalidUTF8Offset(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] < 0x80 { index += 1; continue }
            guard let length = validUTF8SequenceLength(bytes, at: index) else { return index }
            index += length
        }
        return nil
    }

    /// The length of the well-formed multibyte UTF-8 sequence starting at `index`, or nil.
    static func validUTF8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int? {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return nil }
        for next in (index + 2)..<(index + length) where !(0x80...0xBF).contains(bytes[next]) { return nil }
        return length
    }

    /// Well-formed GB18030 whose 2-byte characters are mostly in the GB2312 range (both bytes ≥ A1, as common
    /// Chinese text is), and whose high bytes are mostly not part of valid UTF-8 sequences.
    static func looksLikeGB18030(_ bytes: [UInt8]) -> Bool {
        guard let pairs = gb18030PairCounts(bytes), pairs.total >= 2, pairs.gb2312Range * 10 >= pairs.total * 7 else { return false }
        let highBytes = bytes.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }
        return utf8MultibyteCoverage(bytes) * 2 < highBytes
    }

    /// How many bytes belong to valid UTF-8 multibyte sequences, skipping invalid bytes.
    static func utf8MultibyteCoverage(_ bytes: [UInt8]) -> Int {
        var covered = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] < 0x80 { index += 1; continue }
            if let length = validUTF8SequenceLength(bytes, at: index) {
                covered += length
                index += length
            } else {
                index += 1
            }
        }
        return covered
    }

    /// Checks GB18030's byte structure (ASCII, 2-byte 81–FE + 40–7E/80–FE, 4-byte 81–FE + 30–39 + 81–FE + 30–39;
    /// GBK is the 2-byte part) and counts its 2-byte characters (all, and those with both bytes in A1–FE), or nil when malformed.
    static func gb18030PairCounts(_ bytes: [UInt8]) -> (total: Int, gb2312Range: Int)? {
        var total = 0
        var gb2312Range = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            guard (0x81...0xFE).contains(lead), index + 1 < count else { return nil }
            let second = bytes[index + 1]
            if (0x30...0x39).contains(second) {
                guard index + 3 < count,
                      (0x81...0xFE).contains(bytes[index + 2]),
                      (0x30...0x39).contains(bytes[index + 3]) else { return nil }
                index += 4
            } else {
                guard (0x40...0xFE).contains(second), second != 0x7F else { return nil }
                total += 1
                if lead >= 0xA1, second >= 0xA1 { gb2312Range += 1 }
                index += 2
            }
        }
        return (total, gb2312Range)
    }

    /// At least half of the non-ASCII characters are CJK ideographs or CJK punctuation.
    static func isMostlyChinese(_ text: String) -> Bool {
        var nonASCII = 0
        var chinese = 0
        for scalar in text.unicodeScalars where !scalar.isASCII {
            nonASCII += 1
            if isHan(scalar) || isCJKPunctuation(scalar) { chinese += 1 }
        }
        return nonASCII > 0 && chinese * 2 >= nonASCII
    }

    // MARK: - Offsets

    static func make(name: String, text: String, encoding: SourceEncoding, offsets: [Int]) -> DecodedText {
        var lineStarts = [0]
        var previousWasCarriageReturn = false
        for (scalar, offset) in zip(text.unicodeScalars, offsets) {
            // "\r\n" and a lone "\r" each end one line.
            if scalar == "\n" {
                if previousWasCarriageReturn { lineStarts[lineStarts.count - 1] = offset + 1 } else { lineStarts.append(offset + 1) }
            } else if scalar == "\r" {
                lineStarts.append(offset + 1)
            }
            previousWasCarriageReturn = scalar == "\r"
        }
        return DecodedText(name: name, text: text, encoding: encoding, scalarByteOffsets: offsets, lineStartOffsets: lineStarts)
    }

    static func utf8ScalarOffsets(_ text: String) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(text.utf8.count / 2 + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        return offsets
    }

    /// Walks the GB18030 byte structure alongside the decoded scalars (one scalar per sequence).
    /// Should the counts ever disagree, the extra scalars map to the end of the input rather than failing.
    private static func gb18030ScalarOffsets(_ bytes: [UInt8], scalarCount: Int) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(scalarCount + 1)
        var index = 0
        while index < bytes.count, offsets.count < scalarCount {
            offsets.append(index)
            let lead = bytes[index]
            if lead < 0x81 || lead == 0xFF || index + 1 >= bytes.count {
                index += 1
            } else if (0x30...0x39).contains(bytes[index + 1]) {
                index += 4
            } else {
                index += 2
            }
        }
        while offsets.count <= scalarCount { offsets.append(bytes.count) }
        return offsets
    }

    static func lineNumber(ofByteOffset byteOffset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for byte in bytes.prefix(byteOffset) where byte == 0x0A { line += 1 }
        return line
    }
}

// MARK: - Character classes shared by the text intake

/// CJK Unified Ideographs (with extensions A–H) and compatibility ideographs.
@inline(__always)
func isHan(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x323AF: return true
    case 0x3007: return true  // 〇
    default: return false
    }
}

/// CJK symbols and punctuation, full-width forms, and the quotes Chinese text uses.
@inline(__always)
func isCJKPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x3000...0x303F, 0xFF00...0xFF65, 0xFE30...0xFE4F, 0x2018, 0x2019, 0x201C, 0x201D, 0x2014, 0x2026, 0x00B7: return true
    default: return false
    }
}

/// Whitespace or an invisible format character: nothing a reader would see.
@inline(__always)
func isBlank(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace || scalar.properties.generalCategory == .format || scalar.properties.generalCategory == .control
}

/// The 1-based line containing `byteOffset`, given the sorted byte offsets at which lines start.
func lineNumber(ofByteOffset byteOffset: Int, lineStarts: [Int]) -> Int {
    // Binary search for the last line start ≤ byteOffset.
    var low = 0
    var high = lineStarts.count
    while high - low > 1 {
        let middle = (low + high) / 2
        if lineStarts[middle] <= byteOffset { low = middle } else { high = middle }
    }
    return low + 1
}

/// The bytes of a file argument ("-": standard input), with the name messages use for it.
public enum InputFile {
    public static func read(_ path: String) throws(InputFileError) -> (bytes: Data, name: String) {
        if path == "-" { return (FileHandle.standardInput.readDataToEndOfFile(), "stdin") }
        do { return (try Data(contentsOf: URL(fileURLWithPath: path)), path) } catch {
            throw InputFileError(description: "\(path): cannot read: \(error.localizedDescription)")
        }
    }
}

/// A file that cannot be read at all.
public struct InputFileError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
