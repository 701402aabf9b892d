import Foundation
import ModelStore

/// What a test needs that is not in the repository.
public struct MissingTestInput: Error, CustomStringConvertible {
    public let description: String
}

/// Helpers shared by the test targets: catalog models and the shared articles. Fixtures are per test target
/// (each target's `Bundle.module`), so each target reads its own.
public enum TestSupport {
    /// The path of a pulled catalog model. A missing model is a failure that says how to get it.
    public static func modelPath(_ name: String) throws -> String {
        let path = ModelStore.defaultHome.appendingPathComponent("models/\(name).gguf").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingTestInput(description: "model \(name) is missing at \(path): run `make models` (or `llmrun pull \(name)`)")
        }
        return path
    }

    /// A committed fixture of a test target: `bundle` is the target's `Bundle.module`, whose `Fixtures` folder holds it.
    public static func fixture(_ relativePath: String, in bundle: Bundle) throws -> Data {
        guard let folder = bundle.url(forResource: "Fixtures", withExtension: nil) else {
            throw MissingTestInput(description: "no Fixtures folder in the test bundle \(bundle.bundlePath)")
        }
        return try Data(contentsOf: folder.appendingPathComponent(relativePath))
    }

    /// The shared articles beside the repository (`../shared/articles`), sorted by name.
    public static func articles() throws -> [URL] {
        var directory = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { directory.deleteLastPathComponent() }  // …/Tests/TestSupport/TestSupport.swift → repo's parent
        let folder = directory.appendingPathComponent("shared/articles")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".txt") }.sorted() ?? []
        guard !names.isEmpty else { throw MissingTestInput(description: "no articles in \(folder.path): the repository expects ../shared/articles beside it") }
        return names.map { folder.appendingPathComponent($0) }
    }
}

/// SplitMix64: a small seeded generator, the one `scripts/gen_synthetic_models.py` and the kernel tests draw from.
public struct SplitMix64 {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// [0, 1) from the top 24 bits, exact in Float.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}
