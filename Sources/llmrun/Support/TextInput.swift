import Foundation
import Transformer

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
        try lossy ? String(decoding: data, as: UTF8.self) : TextDecoder.decodeUTF8([UInt8](data), name: name)
    }
}

struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
