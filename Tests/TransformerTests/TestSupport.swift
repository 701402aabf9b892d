import Foundation
import Testing
@testable import Transformer

/// Shared helpers for tests that read committed fixtures and the catalog models.
enum TestSupport {
    static var fixtures: URL {
        get throws { try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)) }
    }

    static func fixture(_ relativePath: String) throws -> Data {
        try Data(contentsOf: try fixtures.appendingPathComponent(relativePath))
    }

    /// The path of a pulled catalog model. `make test` pulls every model first, so a missing model is a failure.
    static func modelPath(_ name: String) throws -> String {
        let path = ModelStore.defaultHome.appendingPathComponent("models/\(name).gguf").path
        try #require(FileManager.default.fileExists(atPath: path), "model \(name) is missing: run `llmrun pull \(name)` (make test does)")
        return path
    }

    /// The shared articles beside the repository (`../shared/articles`), sorted by name.
    static func articles() throws -> [URL] {
        var directory = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { directory.deleteLastPathComponent() }  // …/Tests/TransformerTests/TestSupport.swift → repo's parent
        let folder = directory.appendingPathComponent("shared/articles")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }.sorted()
        try #require(!names.isEmpty, "no articles in \(folder.path)")
        return names.map { folder.appendingPathComponent($0) }
    }
}
