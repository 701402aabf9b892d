import Foundation

/// The results file of `llmrun summarize … --out FILE`: one JSON object per line, `{"path", "hash", …}`,
/// appended as each article finishes. An article is done when a line has its path and content hash, so a
/// rerun skips it, and an article whose text changed is summarized again (its new line comes last).
///
/// Each line goes out in one `write` followed by `fsync`: a process killed meanwhile leaves at most a last
/// line without its newline, which the next run cuts off (and redoes that article). Nothing else is ever
/// rewritten.
struct BatchResults {
    let path: String
    /// `path` + "\n" + `hash` of every article done.
    private(set) var done: Set<String> = []
    /// Bytes of a torn last line removed when the file was opened (0: none).
    private(set) var removedTornBytes = 0
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        let existing = FileManager.default.fileExists(atPath: path) ? try Self.readAll(path) : Data()
        var complete = existing
        if let last = existing.last, last != UInt8(ascii: "\n") {
            // A line cut by a kill: keep up to the last newline.
            let end = existing.lastIndex(of: UInt8(ascii: "\n")).map { existing.index(after: $0) } ?? existing.startIndex
            complete = existing[existing.startIndex..<end]
            removedTornBytes = existing.count - complete.count
        }
        for (number, line) in complete.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let articlePath = object["path"] as? String, let hash = object["hash"] as? String else {
                throw InputError("\(path): line \(number + 1) is not a result of `llmrun summarize --out` (expected a JSON object with \"path\" and \"hash\")")
            }
            done.insert(Self.key(path: articlePath, hash: hash))
        }
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw InputError("\(path): cannot open for writing: \(String(cString: strerror(errno)))") }
        if removedTornBytes > 0, ftruncate(descriptor, off_t(complete.count)) != 0 {
            throw InputError("\(path): cannot remove the unfinished last line: \(String(cString: strerror(errno)))")
        }
    }

    static func key(path: String, hash: String) -> String { path + "\n" + hash }

    func isDone(path: String, hash: String) -> Bool { done.contains(Self.key(path: path, hash: hash)) }

    /// Appends `object` (JSON without newlines) as one line, durably.
    mutating func append(_ object: Data, path articlePath: String, hash: String) throws {
        var line = object
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw InputError("\(path): cannot append a result: \(String(cString: strerror(errno)))")
        }
        done.insert(Self.key(path: articlePath, hash: hash))
    }

    private static func readAll(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError("\(path): cannot read: \(error.localizedDescription)")
        }
    }

    /// The article files named by `arguments`: files as given, directories' regular non-hidden files in
    /// name order (not recursing). Throws naming an argument that does not exist.
    static func articlePaths(_ arguments: [String]) throws -> [String] {
        let manager = FileManager.default
        var paths: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: argument, isDirectory: &isDirectory) else { throw InputError("\(argument): no such file or directory") }
            guard isDirectory.boolValue else {
                paths.append(argument)
                continue
            }
            let names: [String]
            do { names = try manager.contentsOfDirectory(atPath: argument) } catch {
                throw InputError("\(argument): cannot list: \(error.localizedDescription)")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                // Written as the argument was (relative stays relative), so that results keyed by path stay valid.
                let path = (argument as NSString).appendingPathComponent(name)
                var isSubdirectory: ObjCBool = false
                if manager.fileExists(atPath: path, isDirectory: &isSubdirectory), !isSubdirectory.boolValue { paths.append(path) }
            }
        }
        return paths
    }

    /// 64-bit FNV-1a of the article's bytes, in hex: tells a changed article from the one summarized (not a
    /// security check; the CLI has no cryptographic hash).
    static func contentHash(_ bytes: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }
}
