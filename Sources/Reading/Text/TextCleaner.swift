import Foundation
import Transformer

/// What the cleaner removed, by kind, for `--show-cleaning`.
public enum CleaningCategory: String, CaseIterable, Sendable, Comparable {
    /// Zero-width characters, BOM, bidi controls, soft hyphens, stray control characters.
    case invisible
    /// Anti-scraping noise such as `( e* H8 f6 L1 b'` inserted between sentences.
    case junkSequence = "junk-sequence"
    /// Forum navigation, login and sharing lines, view counts, footers, image file names.
    case pageFurniture = "page-furniture"
    /// Pinyin after a character, as in `業(yè)`.
    case pinyinAnnotation = "pinyin-annotation"
    /// Text mis-decoded from GBK bytes that lost their alignment, such as `?!敝芫溉苏f` for `。”周靖人說`.
    case garbled
    /// HTML tags, entities and mangled tag remains such as `?/p>`.
    case markup
    /// Carriage returns, runs of spaces and tabs, line-edge spaces, extra blank lines.
    case whitespace

    public static func < (lhs: CleaningCategory, rhs: CleaningCategory) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// How often one category of removal happened.
public struct CleaningTally: Sendable, Equatable {
    /// Separate places where something was removed or replaced.
    public var spans = 0
    /// Unicode scalars removed (a replacement counts the scalars it replaced).
    public var characters = 0
}

/// What the cleaner removed, with a few examples per category.
public struct CleaningReport: Sendable {
    public private(set) var tallies: [CleaningCategory: CleaningTally] = [:]
    /// The first few removed spans per category (not for whitespace), as written in the input.
    public private(set) var examples: [CleaningCategory: [String]] = [:]

    var maximumExamples = 8

    public func tally(_ category: CleaningCategory) -> CleaningTally { tallies[category] ?? CleaningTally() }

    mutating func record(_ category: CleaningCategory, removed: some Collection<Unicode.Scalar>) {
        tallies[category, default: CleaningTally()].spans += 1
        tallies[category, default: CleaningTally()].characters += removed.count
        guard category != .whitespace, examples[category, default: []].count < maximumExamples else { return }
        examples[category, default: []].append(String(String.UnicodeScalarView(removed.prefix(60))))
    }
}

/// A place in the user's original file.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    /// Bytes from the start of the file.
    public let byteOffset: Int
    /// 1-based line number.
    public let line: Int

    public var description: String { "line \(line), byte \(byteOffset)" }
}

/// Cleaned text that remembers where each of its characters came from in the original input.
public struct CleanedText: Sendable {
    public let text: String
    public let sourceName: String
    public let sourceEncoding: SourceEncoding
    public let report: CleaningReport
    /// The scalars of `text`, for splitters that work by position.
    let scalars: [Unicode.Scalar]
    /// Original byte offset per scalar of `text`, plus a final entry for the end.
    let sourceOffsets: [Int]
    /// `text`'s index of each scalar, plus `text.endIndex`.
    let scalarIndices: [String.Index]
    let lineStartOffsets: [Int]

    init(text: String, scalars: [Unicode.Scalar], sourceOffsets: [Int], decoded: DecodedText, report: CleaningReport) {
        self.text = text
        self.scalars = scalars
        self.sourceOffsets = sourceOffsets
        self.sourceName = decoded.name
        self.sourceEncoding = decoded.encoding
        self.report = report
        self.lineStartOffsets = decoded.lineStartOffsets
        var indices = Array(text.unicodeScalars.indices)
        indices.append(text.endIndex)
        self.scalarIndices = indices
    }

    /// The number of Unicode scalars in `text`.
    public var scalarCount: Int { scalars.count }

    /// Where the scalar at `scalarOffset` (clamped to the text) came from.
    public func sourcePosition(ofScalarOffset scalarOffset: Int) -> SourcePosition {
        let clamped = min(max(scalarOffset, 0), sourceOffsets.count - 1)
        let byteOffset = sourceOffsets[clamped]
        return SourcePosition(byteOffset: byteOffset, line: lineNumber(ofByteOffset: byteOffset, lineStarts: lineStartOffsets))
    }

    /// Where the character at `index` of `text` came from.
    public func sourcePosition(at index: String.Index) -> SourcePosition {
        sourcePosition(ofScalarOffset: scalarOffset(of: index))
    }

    /// The position of `index` counted in scalars (an index inside a scalar counts as that scalar).
    public func scalarOffset(of index: String.Index) -> Int {
        var low = 0
        var high = scalarIndices.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if scalarIndices[middle] <= index { low = middle } else { high = middle }
        }
        return low
    }

    /// `text`'s index of the scalar at `scalarOffset` (clamped; `scalarCount` gives `endIndex`).
    public func index(ofScalarOffset scalarOffset: Int) -> String.Index {
        scalarIndices[min(max(scalarOffset, 0), scalarIndices.count - 1)]
    }
}

/// Scalars paired with the original byte offset each came from.
struct MappedScalars {
    var scalars: [Unicode.Scalar] = []
    var offsets: [Int] = []

    init() {}

    init(capacity: Int) {
        scalars.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
    }

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    mutating func append(_ scalar: Unicode.Scalar, from offset: Int) {
        scalars.append(scalar)
        offsets.append(offset)
    }

    mutating func removeLast(_ count: Int) {
        scalars.removeLast(count)
        offsets.removeLast(count)
    }

    mutating func append(contentsOf other: MappedScalars, range: Range<Int>) {
        scalars.append(contentsOf: other.scalars[range])
        offsets.append(contentsOf: other.offsets[range])
    }
}

/// Cleans text pasted or scraped from the web before summarizing: normalizes whitespace, drops invisible
/// characters, anti-scraping junk, page furniture, pinyin annotations, garbled GBK runs and markup, and keeps everything
/// else as written (no NFKC: Chinese full-width punctuation stays). Never fails.
public struct TextCleaner: Sendable {
    /// How many removed spans per category the report keeps as examples.
    public var maximumExamples: Int

    public init(maximumExamples: Int = 8) {
        self.maximumExamples = maximumExamples
    }

    public func clean(_ decoded: DecodedText) -> CleanedText {
        var report = CleaningReport()
        report.maximumExamples = maximumExamples
        var mapped = MappedScalars(capacity: decoded.scalarByteOffsets.count)
        for (scalar, offset) in zip(decoded.text.unicodeScalars, decoded.scalarByteOffsets) {
            mapped.append(scalar, from: offset)
        }
        let endOffset = decoded.scalarByteOffsets.last ?? 0

        mapped = normalizeScalars(mapped, report: &report)
        mapped = removeMarkup(mapped, report: &report)
        mapped = cleanLines(mapped, report: &report)

        let text = String(String.UnicodeScalarView(mapped.scalars))
        var offsets = mapped.offsets
        offsets.append(endOffset)
        return CleanedText(text: text, scalars: mapped.scalars, sourceOffsets: offsets, decoded: decoded, report: report)
    }

    /// Cleans a string as if it were a UTF-8 file named `name`.
    public func clean(_ text: String, name: String = "text") -> CleanedText {
        clean(DecodedText(utf8Text: text, name: name))
    }

    // MARK: - Scalars: line breaks, invisible characters, space variants

    func normalizeScalars(_ input: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        var output = MappedScalars(capacity: input.count)
        let scalars = input.scalars
        for index in scalars.indices {
            let scalar = scalars[index]
            let offset = input.offsets[index]
            switch scalar.value {
            case 0x0A, 0x09:
                output.append(scalar, from: offset)
            case 0x0D:
                // CRLF → LF; a lone CR (old Mac files) is a line break.
                if index + 1 < scalars.count, scalars[index + 1] == "\n" {
                    report.record(.whitespace, removed: [scalar])
                } else {
                    output.append("\n", from: offset)
                    report.record(.whitespace, removed: [scalar])
                }
            case 0x0B, 0x0C, 0x85, 0x2028, 0x2029:
                output.append("\n", from: offset)
                report.record(.whitespace, removed: [scalar])
            case 0x00...0x1F, 0x7F...0x9F:
                report.record(.invisible, removed: [scalar])
            case 0x00A0, 0x2000...0x200A, 0x202F, 0x205F, 0x3000:
                // Space variants (NBSP indentation, ideographic space) become plain spaces; runs are collapsed later.
                output.append(" ", from: offset)
            case 0x200C, 0x200D:
                // Joiners matter inside emoji sequences (ZWJ) and Persian/Indic words (ZWNJ); elsewhere they are noise.
                let previous = output.scalars.last
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                if let previous, let next, joinerIsMeaningful(scalar, between: previous, and: next) {
                    output.append(scalar, from: offset)
                } else {
                    report.record(.invisible, removed: [scalar])
                }
            case 0x00AD, 0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x206F,
                 0xFEFF, 0xFFF9...0xFFFB:
                report.record(.invisible, removed: [scalar])
            default:
                output.append(scalar, from: offset)
            }
        }
        return output
    }

    private func joinerIsMeaningful(_ joiner: Unicode.Scalar, between previous: Unicode.Scalar, and next: Unicode.Scalar) -> Bool {
        if joiner.value == 0x200D {
            return isEmojiLike(previous) && isEmojiLike(next)
        }
        return isNonLatinLetter(previous) && isNonLatinLetter(next)
    }

    private func isEmojiLike(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x2000 && (scalar.properties.isEmoji || scalar.value == 0xFE0F)
    }

    private func isNonLatinLetter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x0370 && !isHan(scalar) && scalar.properties.isAlphabetic
    }

    // MARK: - Markup

    /// HTML element names recognized in tags; anything else in angle brackets is left alone ("a < b > c").
    static let htmlElementNames: Set<String> = [
        "a", "abbr", "b", "blockquote", "body", "br", "caption", "center", "code", "dd", "del", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "i",
        "iframe", "img", "ins", "label", "li", "mark", "nav", "ol", "p", "pre", "s", "section", "small", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    ]
    /// Elements whose tags separate paragraphs: they become a line break.
    static let blockElementNames: Set<String> = [
        "blockquote", "br", "div", "dd", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
    ]
    static let namedEntities: [String: Unicode.Scalar] = [
        "nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "ldquo": "\u{201C}", "rdquo": "\u{201D}",
        "lsquo": "\u{2018}", "rsquo": "\u{2019}", "mdash": "\u{2014}", "ndash": "\u{2013}", "hellip": "\u{2026}",
        "middot": "\u{00B7}", "copy": "\u{00A9}", "ensp": " ", "emsp": " ",
    ]

    func removeMarkup(_ input: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        let scalars = input.scalars
        // Most text has none: skip the pass unless a candidate character occurs.
        guard scalars.contains(where: { $0 == "<" || $0 == "&" || $0 == "/" }) else { return input }
        var output = MappedScalars(capacity: input.count)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let offset = input.offsets[index]
            if scalar == "<", let (end, isBlock) = matchTag(scalars, at: index) {
                report.record(.markup, removed: scalars[index..<end])
                if isBlock { output.append("\n", from: offset) }
                index = end
            } else if scalar == "&", let (end, replacement) = matchEntity(scalars, at: index) {
                report.record(.markup, removed: scalars[index..<end])
                output.append(replacement, from: offset)
                index = end
            } else if scalar == "?", let end = matchMangledClosingTag(scalars, at: index) {
                report.record(.markup, removed: scalars[index..<end])
                // The tag's `?` is a lost byte; a `?!` right before it is what is left of the `。”` it closed.
                let count = output.count
                if count >= 3, output.scalars[count - 2] == "?", output.scalars[count - 1] == "!", isHan(output.scalars[count - 3]) {
                    report.record(.garbled, removed: output.scalars[(count - 2)...])
                    output.removeLast(2)
                }
                index = end
            } else {
                output.append(scalar, from: offset)
                index += 1
            }
        }
        return output
    }

    /// `<p>`, `</p>`, `<br/>`, `<img src="…">`, `<!-- … -->` starting at `start`: the end and whether it breaks lines.
    private func matchTag(_ scalars: [Unicode.Scalar], at start: Int) -> (end: Int, isBlock: Bool)? {
        let limit = min(scalars.count, start + 1_000)
        var index = start + 1
        if index + 2 < limit, scalars[index] == "!", scalars[index + 1] == "-", scalars[index + 2] == "-" {
            var probe = index + 3
            while probe + 2 < limit {
                if scalars[probe] == "-", scalars[probe + 1] == "-", scalars[probe + 2] == ">" { return (probe + 3, false) }
                probe += 1
            }
            return nil
        }
        if index < limit, scalars[index] == "/" { index += 1 }
        var name = ""
        while index < limit, scalars[index].isASCII, scalars[index].properties.isAlphabetic || (scalars[index].value >= 0x30 && scalars[index].value <= 0x39) {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        name = name.lowercased()
        guard Self.htmlElementNames.contains(name), index < limit else { return nil }
        // After the name: ">" or "/>" or attributes up to ">" on the same line.
        let next = scalars[index]
        guard next == ">" || next == "/" || next == " " || next == "\t" else { return nil }
        while index < limit, scalars[index] != ">" {
            if scalars[index] == "<" || scalars[index] == "\n" { return nil }
            index += 1
        }
        guard index < limit else { return nil }
        return (index + 1, Self.blockElementNames.contains(name))
    }

    /// `&amp;`, `&nbsp;`, `&#8220;`, `&#x201C;` starting at `start`: the end and the character it stands for.
    private func matchEntity(_ scalars: [Unicode.Scalar], at start: Int) -> (end: Int, replacement: Unicode.Scalar)? {
        var index = start + 1
        var body = ""
        while index < scalars.count, index - start <= 10, scalars[index] != ";" {
            let scalar = scalars[index]
            guard scalar.isASCII, scalar.properties.isAlphabetic || scalar == "#" || ("0"..."9").contains(scalar) else { return nil }
            body.unicodeScalars.append(scalar)
            index += 1
        }
        guard index < scalars.count, scalars[index] == ";", !body.isEmpty else { return nil }
        let replacement: Unicode.Scalar?
        if body.hasPrefix("#x") || body.hasPrefix("#X") {
            replacement = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
        } else if body.hasPrefix("#") {
            replacement = UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init)
        } else {
            replacement = Self.namedEntities[body.lowercased()]
        }
        guard let replacement, replacement.value >= 0x20 || replacement == "\n" || replacement == "\t" else { return nil }
        return (index + 1, replacement)
    }

    /// `?/p>` or `?/stron` at a line end: a closing tag whose `<` was swallowed by a mis-decoded character
    /// (the `?`). The tag name may be cut short, but then the line must end there.
    private func matchMangledClosingTag(_ scalars: [Unicode.Scalar], at start: Int) -> Int? {
        var index = start + 1
        guard index < scalars.count, scalars[index] == "/" else { return nil }
        index += 1
        var name = ""
        while index < scalars.count, name.count < 12, scalars[index].isASCII, scalars[index].properties.isAlphabetic {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard !name.isEmpty else { return nil }
        name = name.lowercased()
        if index < scalars.count, scalars[index] == ">" {
            return Self.htmlElementNames.contains(name) ? index + 1 : nil
        }
        let atLineEnd = index == scalars.count || scalars[index] == "\n"
        guard atLineEnd, Self.htmlElementNames.contains(where: { $0.hasPrefix(name) }) else { return nil }
        return index
    }

    // MARK: - Lines

    func cleanLines(_ input: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        var output = MappedScalars(capacity: input.count)
        var pendingBlankLines = 0
        var pendingBreakOffset = 0
        var lineStart = 0
        let scalars = input.scalars
        while lineStart <= scalars.count {
            let lineEnd = scalars[lineStart...].firstIndex(of: "\n") ?? scalars.count
            var line = MappedScalars(capacity: lineEnd - lineStart)
            line.append(contentsOf: input, range: lineStart..<lineEnd)

            line = removePinyinAnnotations(line, report: &report)
            line = removeGarbledRuns(line, report: &report)
            line = removeJunkSequences(line, report: &report)
            line = normalizeSpaces(line, report: &report)
            if !line.isEmpty, PageFurniture.isFurniture(line.scalars) {
                report.record(.pageFurniture, removed: line.scalars)
                line = MappedScalars()
            }

            if line.isEmpty {
                if !output.isEmpty { pendingBlankLines += 1 }
            } else {
                if !output.isEmpty {
                    // One line break, or one blank line for a paragraph break; more blank lines are dropped.
                    output.append("\n", from: pendingBreakOffset)
                    if pendingBlankLines > 0 { output.append("\n", from: pendingBreakOffset) }
                    if pendingBlankLines > 1 {
                        report.record(.whitespace, removed: Array(repeating: "\n" as Unicode.Scalar, count: pendingBlankLines - 1))
                    }
                }
                pendingBlankLines = 0
                output.append(contentsOf: line, range: 0..<line.count)
            }
            pendingBreakOffset = lineEnd < input.offsets.count ? input.offsets[lineEnd] : (input.offsets.last ?? 0)
            lineStart = lineEnd + 1
        }
        return output
    }

    /// Collapses runs of spaces and tabs to one space and trims the line's edges.
    func normalizeSpaces(_ line: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        var output = MappedScalars(capacity: line.count)
        var index = 0
        let scalars = line.scalars
        while index < scalars.count {
            guard scalars[index] == " " || scalars[index] == "\t" else {
                output.append(scalars[index], from: line.offsets[index])
                index += 1
                continue
            }
            var runEnd = index
            while runEnd < scalars.count, scalars[runEnd] == " " || scalars[runEnd] == "\t" { runEnd += 1 }
            let atEdge = index == 0 || runEnd == scalars.count
            if atEdge {
                report.record(.whitespace, removed: scalars[index..<runEnd])
            } else if runEnd - index > 1 {
                output.append(" ", from: line.offsets[index])
                report.record(.whitespace, removed: scalars[(index + 1)..<runEnd])
            } else {
                output.append(scalars[index], from: line.offsets[index])
            }
            index = runEnd
        }
        return output
    }

    // MARK: - Pinyin annotations

    /// Removes `(yè)` after a Han character (or a Latin letter): one syllable of Latin letters with at least one tone mark, so
    /// "(agent)" or "(AWS)" stay. Both ASCII and full-width parentheses.
    func removePinyinAnnotations(_ line: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        guard line.scalars.contains(where: { $0 == "(" || $0 == "（" }) else { return line }
        return removeRuns(of: .pinyinAnnotation, in: line, report: &report) { scalars, index in
            // Converters also annotate inside mis-decoded Latin words ("以O(shè)penAI"), hence letters too.
            guard index > 0, scalars[index] == "(" || scalars[index] == "（",
                  isHan(scalars[index - 1]) || ("a"..."z").contains(scalars[index - 1]) || ("A"..."Z").contains(scalars[index - 1])
            else { return nil }
            return pinyinAnnotationEnd(scalars, openingAt: index)
        }
    }

    /// Copies `line` without the runs that `runEnd(scalars, start)` finds (it returns the run's end), recording them.
    private func removeRuns(of category: CleaningCategory, in line: MappedScalars, report: inout CleaningReport,
                            runEnd: ([Unicode.Scalar], Int) -> Int?) -> MappedScalars {
        let scalars = line.scalars
        var output = MappedScalars(capacity: line.count)
        var index = 0
        while index < scalars.count {
            if let end = runEnd(scalars, index) {
                report.record(category, removed: scalars[index..<end])
                index = end
                continue
            }
            output.append(scalars[index], from: line.offsets[index])
            index += 1
        }
        return output
    }

    private func pinyinAnnotationEnd(_ scalars: [Unicode.Scalar], openingAt opening: Int) -> Int? {
        pinyinTailEnd(scalars, from: opening + 1, closers: ")）")
    }

    static let toneMarkedVowels: Set<Unicode.Scalar> = Set("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ".unicodeScalars)

    // MARK: - Garbled runs

    /// Removes runs of GBK text that was decoded after losing a byte: the lost byte shows as an ASCII `?`,
    /// the next characters pair the wrong bytes (`?!敝芫溉苏f` was `。”周靖人說`), and a byte that stands
    /// alone as ASCII brings the text back into step, showing as one ASCII letter or symbol glued between
    /// Han characters (`f`, `^`, `t`). A run needs both ends: a `?` after Chinese text followed by `?`, `!` or
    /// the tail of a broken pinyin annotation (`shù)`), and that lone ASCII character (or another lost byte
    /// with an annotation's tail) within a few Han characters; so a real `?` between Chinese sentences (`特點?這些`, `呢?2016年`) stays.
    /// What the run stood for cannot be recovered: it is dropped, and the text on either side stays.
    func removeGarbledRuns(_ line: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        guard line.scalars.contains("?") else { return line }
        return removeRuns(of: .garbled, in: line, report: &report) { scalars, index in
            scalars[index] == "?" ? garbledRunEnd(scalars, questionMarkAt: index) : nil
        }
    }

    private func garbledRunEnd(_ scalars: [Unicode.Scalar], questionMarkAt start: Int) -> Int? {
        guard start > 0, start + 2 < scalars.count else { return nil }
        let previous = scalars[start - 1]
        guard isHan(previous) || isCJKPunctuation(previous) || previous == ")" else { return nil }
        var index = start + 1
        if scalars[index] == "?" || scalars[index] == "!" {
            index += 1
        } else {
            // The tail of a pinyin annotation whose `(` went with the lost byte: `shù)`.
            guard let end = pinyinTailEnd(scalars, from: index) else { return nil }
            index = end
        }
        let limit = min(scalars.count, index + 12)
        while index < limit {
            let scalar = scalars[index]
            if isHan(scalar) || scalar == "!" {
                index += 1
                continue
            }
            if scalar == "?" {
                // Another lost byte, maybe with what is left of its annotation (`?qū)?biāo)OpenAI`); the run ends
                // after that annotation unless more mis-paired characters follow.
                guard let end = pinyinTailEnd(scalars, from: index + 1) else {
                    index += 1
                    continue
                }
                index = end
                if index == scalars.count || !(isHan(scalars[index]) || scalars[index] == "?" || scalars[index] == "!") { return index }
                continue
            }
            // The character that realigns the text: ASCII in a GBK trail byte's range (0x40–0x7E), right after a
            // mis-paired Han character, and not the start of a Latin word.
            guard scalar.value >= 0x40, scalar.value <= 0x7E, isHan(scalars[index - 1]) else { return nil }
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            if let next, next.isASCII, next.properties.isAlphabetic { return nil }
            return index + 1
        }
        return nil
    }

    /// The end of `shù)` at `start`: one pinyin syllable with a tone mark, then `)`.
    /// End of a pinyin syllable and its closing parenthesis from `start` (at most 7 scalars, at least one tone mark).
    private func pinyinTailEnd(_ scalars: [Unicode.Scalar], from start: Int, closers: String = ")") -> Int? {
        var index = start
        var hasToneMark = false
        while index < scalars.count, index - start < 7 {
            let scalar = scalars[index]
            if closers.unicodeScalars.contains(scalar) { return hasToneMark ? index + 1 : nil }
            if Self.toneMarkedVowels.contains(scalar) {
                hasToneMark = true
            } else if !(("a"..."z").contains(scalar) || scalar == "ü") {
                return nil
            }
            index += 1
        }
        return nil
    }

    // MARK: - Junk sequences

    /// Removes anti-scraping noise: runs of at least three 1–2 character ASCII tokens, mostly mixing
    /// letters with digits or punctuation, between sentences. Real fragments ("to C", "X, Y, Z", "Q1 Q2 Q3",
    /// "I am a TA") fail the mixing rules, and runs with Latin words on both sides are left alone.
    func removeJunkSequences(_ line: MappedScalars, report: inout CleaningReport) -> MappedScalars {
        let scalars = line.scalars
        let tokens = asciiTokens(in: scalars)
        guard tokens.count >= 3 else { return line }

        var removals: [Range<Int>] = []
        var runStart = 0
        while runStart < tokens.count {
            guard tokens[runStart].range.count <= 2 else { runStart += 1; continue }
            var runEnd = runStart + 1
            while runEnd < tokens.count, tokens[runEnd].range.count <= 2, tokens[runEnd].followsSpaceOnly { runEnd += 1 }
            defer { runStart = runEnd }
            guard isJunk(tokens[runStart..<runEnd], scalars: scalars),
                  !isInsideLatinText(tokens, runStart: runStart, runEnd: runEnd, scalars: scalars) else { continue }
            // Two-letter words next to a Latin word belong to the text: "x  De Freitas" keeps "De".
            var first = runStart
            var last = runEnd
            if last < tokens.count, tokens[last].followsSpaceOnly, isLatinWord(scalars[tokens[last].range]) {
                while last > first, isTwoLetterWord(scalars[tokens[last - 1].range]) { last -= 1 }
            }
            if first > 0, tokens[first].followsSpaceOnly, isLatinWord(scalars[tokens[first - 1].range]) {
                while first < last, isTwoLetterWord(scalars[tokens[first].range]) { first += 1 }
            }
            // A section number set off by an indentation at the line's end ("… B/ v0 g  01") is a heading.
            if last - first > 1, isIndentedNumberEndingLine(tokens[last - 1].range, scalars: scalars) { last -= 1 }
            guard last - first >= 3, isJunk(tokens[first..<last], scalars: scalars) else { continue }
            removals.append(junkRemovalRange(tokens, runStart: first, runEnd: last, scalars: scalars))
        }
        guard !removals.isEmpty else { return line }

        var output = MappedScalars(capacity: line.count)
        var position = 0
        for removal in removals where removal.lowerBound >= position {
            output.append(contentsOf: line, range: position..<removal.lowerBound)
            report.record(.junkSequence, removed: scalars[removal])
            position = removal.upperBound
        }
        output.append(contentsOf: line, range: position..<scalars.count)
        return output
    }

    struct ASCIIToken {
        let range: Range<Int>
        /// Only spaces or tabs separate this token from the previous one.
        let followsSpaceOnly: Bool
    }

    /// Maximal runs of printable, non-space ASCII; anything else (Han, punctuation like "。") separates them.
    private func asciiTokens(in scalars: [Unicode.Scalar]) -> [ASCIIToken] {
        var tokens: [ASCIIToken] = []
        var index = 0
        var spaceOnlySinceLastToken = false
        while index < scalars.count {
            let value = scalars[index].value
            if value >= 0x21, value <= 0x7E {
                let start = index
                while index < scalars.count, scalars[index].value >= 0x21, scalars[index].value <= 0x7E { index += 1 }
                tokens.append(ASCIIToken(range: start..<index, followsSpaceOnly: !tokens.isEmpty && spaceOnlySinceLastToken))
                spaceOnlySinceLastToken = true
            } else {
                if value != 0x20, value != 0x09 { spaceOnlySinceLastToken = false }
                index += 1
            }
        }
        return tokens
    }

    /// At least three tokens, at least half of them "noisy" (holding a symbol, or mixing letters and digits),
    /// and varied the way generated noise is: two different symbols, or a symbol and two letter-digit mixes.
    private func isJunk(_ run: ArraySlice<ASCIIToken>, scalars: [Unicode.Scalar]) -> Bool {
        guard run.count >= 3 else { return false }
        var noisyTokens = 0
        var letterDigitTokens = 0
        var symbols = Set<Unicode.Scalar>()
        for token in run {
            var letters = 0
            var digits = 0
            var tokenSymbols = 0
            for scalar in scalars[token.range] {
                switch scalar.value {
                case 0x41...0x5A, 0x61...0x7A: letters += 1
                case 0x30...0x39: digits += 1
                default:
                    tokenSymbols += 1
                    symbols.insert(scalar)
                }
            }
            let mixesLettersAndDigits = letters > 0 && digits > 0
            if mixesLettersAndDigits { letterDigitTokens += 1 }
            if tokenSymbols > 0 || mixesLettersAndDigits { noisyTokens += 1 }
        }
        let varied = symbols.count >= 2 || (symbols.count >= 1 && letterDigitTokens >= 2)
        return noisyTokens * 2 >= run.count && varied
    }

    private func isInsideLatinText(_ tokens: [ASCIIToken], runStart: Int, runEnd: Int, scalars: [Unicode.Scalar]) -> Bool {
        guard runStart > 0, runEnd < tokens.count,
              tokens[runStart].followsSpaceOnly, tokens[runEnd].followsSpaceOnly else { return false }
        return isLatinWord(scalars[tokens[runStart - 1].range]) && isLatinWord(scalars[tokens[runEnd].range])
    }

    /// At least two letters, then only sentence punctuation: "word", "AI:", "said,".
    private func isLatinWord(_ token: ArraySlice<Unicode.Scalar>) -> Bool {
        var letters = 0
        var seenPunctuation = false
        for scalar in token {
            if scalar.properties.isAlphabetic {
                if seenPunctuation { return false }
                letters += 1
            } else if ".,:;!?'\")-".unicodeScalars.contains(scalar) {
                seenPunctuation = true
            } else {
                return false
            }
        }
        return letters >= 2
    }

    private func isIndentedNumberEndingLine(_ token: Range<Int>, scalars: [Unicode.Scalar]) -> Bool {
        guard token.lowerBound >= 2, scalars[token].allSatisfy({ ("0"..."9").contains($0) }),
              scalars[token.upperBound...].allSatisfy({ $0 == " " || $0 == "\t" }) else { return false }
        return scalars[token.lowerBound - 1] == " " && scalars[token.lowerBound - 2] == " "
    }

    private func isTwoLetterWord(_ token: ArraySlice<Unicode.Scalar>) -> Bool {
        token.count == 2 && token.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
    }

    /// The run plus the spaces around it; one space is kept when removing would glue ASCII text together.
    /// The noise is often glued to the text on its left, so the edges are adjusted:
    /// `吗?5 x(` keeps the `?`; `03* q: k;` loses the `*`; `2.8%;8 @5 u3` loses the `8`;
    /// `Founder Park" G  V(` loses the unmatched `"`.
    private func junkRemovalRange(_ tokens: [ASCIIToken], runStart: Int, runEnd: Int, scalars: [Unicode.Scalar]) -> Range<Int> {
        var lower = tokens[runStart].range.lowerBound
        let upperToken = tokens[runEnd - 1].range.upperBound
        var upper = upperToken
        if tokens[runStart].range.count == 2, lower > 0, !scalars[lower - 1].isASCII,
           Self.sentencePunctuation.contains(scalars[lower]) {
            lower += 1
        } else if runStart > 0, tokens[runStart].followsSpaceOnly {
            lower = gluedJunkStart(in: tokens[runStart - 1].range, scalars: scalars) ?? lower
        }
        var spaceBefore = lower
        while spaceBefore > 0, scalars[spaceBefore - 1] == " " || scalars[spaceBefore - 1] == "\t" { spaceBefore -= 1 }
        while upper < scalars.count, scalars[upper] == " " || scalars[upper] == "\t" { upper += 1 }
        let hasLeftNeighbor = spaceBefore > 0
        let hasRightNeighbor = upper < scalars.count
        if hasLeftNeighbor, hasRightNeighbor, spaceBefore < lower || upperToken < upper {
            // Keep a separating space next to ASCII text ("Scale AI: Moveworks"), none between Chinese characters.
            if scalars[spaceBefore - 1].isASCII || scalars[upper].isASCII {
                if spaceBefore < lower { return (spaceBefore + 1)..<upper }
                return spaceBefore..<(upper - 1)
            }
        }
        return spaceBefore..<upper
    }

    /// Where noise glued to the end of `token` starts, if it does.
    private func gluedJunkStart(in token: Range<Int>, scalars: [Unicode.Scalar]) -> Int? {
        guard token.count >= 2 else { return nil }
        let lastIndex = token.upperBound - 1
        let last = scalars[lastIndex]
        let beforeLast = scalars[lastIndex - 1]
        if Self.gluedJunkSymbols.contains(last), beforeLast.properties.isAlphabetic || beforeLast.properties.numericType != nil {
            return lastIndex
        }
        if last == "\"" || last == "'" {
            // An unmatched quote: an even number of the same quote before it on the line.
            let earlier = scalars[..<lastIndex].reduce(0) { $0 + ($1 == last ? 1 : 0) }
            return earlier % 2 == 0 ? lastIndex : nil
        }
        // "2.8%;8": one or two letters or digits after the token's last ";", "?" or "!".
        for tail in 1...2 where token.count > tail + 1 {
            let punctuationIndex = token.upperBound - tail - 1
            let tailIsAlphanumeric = scalars[(punctuationIndex + 1)..<token.upperBound].allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
            }
            if tailIsAlphanumeric, ";?!".unicodeScalars.contains(scalars[punctuationIndex]) { return punctuationIndex + 1 }
        }
        return nil
    }

    static let gluedJunkSymbols: Set<Unicode.Scalar> = Set("*#$&+<=>@\\^_`|~".unicodeScalars)
    static let sentencePunctuation: Set<Unicode.Scalar> = Set("?!,.;:".unicodeScalars)
}
