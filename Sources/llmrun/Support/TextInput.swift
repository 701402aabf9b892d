import Foundation
import Reading
import Transformer

/// Reads a text argument or file for commands that take `TEXT | -f FILE`.
enum TextInput {
    /// The UTF-8 text of `path` ("-" for stdin). Invalid UTF-8 is an error naming the byte offset, unless `lossy`.
    static func read(path: String, lossy: Bool = false) throws -> String {
        let input = try InputFile.read(path)
        return try lossy ? String(decoding: input.bytes, as: UTF8.self) : TextDecoder.decodeUTF8([UInt8](input.bytes), name: input.name)
    }
}

struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
