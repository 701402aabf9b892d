import Foundation

/// Reads a text argument or file for commands that take `TEXT | -f FILE`.
enum TextInput {
    /// The UTF-8 text of `path` ("-" for stdin). Invalid UTF-8 is an error naming the byte offset, unless `lossy`.
    static func read(path: String, lossy: Bool = false) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw InputError("\(path): cannot read: \(error.localizedDescription)")
            }
        }
        return try decode(data, name: path == "-" ? "stdin" : path, lossy: lossy)
    }

    static func decode(_ data: Data, name: String, lossy: Bool) throws -> String {
        if lossy { return String(decoding: data, as: UTF8.self) }
        if let offset = firstInvalidUTF8Offset(data) {
            throw InputError("\(name): invalid UTF-8 at byte \(offset) (use --lossy to replace it with U+FFFD)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Offset of the first byte that does not start or continue a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8Offset(_ data: Data) -> Int? {
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            for j in 1..<length {
                let c = bytes[i + j]
                let (lo, hi) = j == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
                if c < lo || c > hi { return i }
            }
            i += length
        }
        return nil
    }
}

struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
