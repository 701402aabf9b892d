import Foundation
import Testing
import ZIPFoundation
@testable import ModelStore

/// Pulls from wheels placed in the cache beforehand, so no network is involved.
private func makeStore(parts: [[UInt8]], sha256: String? = nil) throws -> (ModelStore, ModelCatalog.Entry) {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("llmrun-store-\(UUID().uuidString)")
    let wheels = home.appendingPathComponent("wheels")
    try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
    var catalogParts: [ModelCatalog.Part] = []
    var hasher = SHA256()
    for (index, bytes) in parts.enumerated() {
        let package = "fake-model-part\(index + 1)"
        let wheel = wheels.appendingPathComponent("fake_model_part\(index + 1)-1.0.0-py3-none-any.whl")
        let archive = try Archive(url: wheel, accessMode: .create)
        let member = "fake_model_part\(index + 1)/data/part\(index).bin"
        try archive.addEntry(with: member, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
            Data(bytes[Int(position)..<(Int(position) + size)])
        }
        catalogParts.append(ModelCatalog.Part(package: package, version: "1.0.0", member: member, size: bytes.count))
        hasher.update(data: bytes)
    }
    let digest = sha256 ?? hasher.finalize().map { String(format: "%02x", $0) }.joined()
    let entry = ModelCatalog.Entry(name: "fake", description: "", architecture: "llama", license: "", size: parts.map(\.count).reduce(0, +),
                                   sha256: digest, parts: catalogParts)
    return (ModelStore(catalog: ModelCatalog(default: "fake", models: [entry]), home: home), entry)
}

@Test func pullAssemblesPartsInOrderAndVerifies() throws {
    let parts: [[UInt8]] = [Array(repeating: 1, count: 3000), Array(repeating: 2, count: 10), (0..<5000).map { UInt8($0 % 251) }]
    let (store, entry) = try makeStore(parts: parts)
    defer { try? FileManager.default.removeItem(at: store.home) }
    #expect(!store.isPresent(entry))
    var events = 0
    let url = try store.pull(entry) { _ in events += 1 }
    #expect(try Data(contentsOf: url) == Data(parts.joined()))
    #expect(store.isPresent(entry))
    #expect(events > 0)
    // Once present, pulling again is instant: no events, same file.
    var again = 0
    #expect(try store.pull(entry) { _ in again += 1 } == url)
    #expect(again == 0)
    #expect(try store.resolve("fake") == url)
}

@Test func checksumMismatchLeavesNoFile() throws {
    let (store, entry) = try makeStore(parts: [[1, 2, 3]], sha256: String(repeating: "0", count: 64))
    defer { try? FileManager.default.removeItem(at: store.home) }
    #expect(throws: CatalogError.self) { try store.pull(entry) }
    let names = try FileManager.default.contentsOfDirectory(atPath: store.home.appendingPathComponent("models").path)
    #expect(names.isEmpty, "left behind: \(names)")
    #expect(!store.isPresent(entry))
}

@Test func unknownModelNameIsAnError() throws {
    let (store, _) = try makeStore(parts: [[1]])
    defer { try? FileManager.default.removeItem(at: store.home) }
    #expect(throws: CatalogError.self) { try store.resolve("no-such-model") }
}

@Test func bundledCatalogIsComplete() throws {
    let catalog = try ModelCatalog.bundled()
    #expect(catalog.entry(named: catalog.default) != nil)
    for name in ["qwen2.5-1.5b", "qwen2.5-0.5b", "smollm2-135m", "gemma3-270m"] {
        let entry = try #require(catalog.entry(named: name))
        #expect(entry.parts.map(\.size).reduce(0, +) == entry.size)
        #expect(entry.sha256.count == 64)
    }
}
