import Foundation
import Testing
import Tensor
@testable import Transformer

/// Opens `bytes` as a GGUF and returns the error it gives (nil when it loads).
private func loadError(_ bytes: [UInt8]) throws -> GGUFError? {
    let path = try GGUFBuilder.write(bytes)
    defer { GGUFBuilder.remove(path) }
    do {
        let file = try GGUFFile(path: path)
        _ = try ModelInfo(gguf: file)
        return nil
    } catch {
        return error
    }
}

/// Byte offset of the first occurrence of `needle` in `haystack`.
private func offset(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

@Test func minimalFileLoads() throws {
    var builder = GGUFBuilder.minimal()
    builder.metadata.append(("test.floats", .floats([1.5, -2])))
    builder.metadata.append(("test.flag", .bool(true)))
    let path = try GGUFBuilder.write(builder.bytes())
    defer { GGUFBuilder.remove(path) }
    let file = try GGUFFile(path: path)
    #expect(file.version == 3)
    #expect(try file.string("general.architecture") == "llama")
    #expect(try file.numberArray("test.floats") == [1.5, -2])
    #expect(try file.optionalBool("test.flag") == true)
    #expect(try file.stringArray("tokenizer.ggml.tokens") == ["a", "b", "c"])
    let tensor = try #require(file.tensor(named: "token_embd.weight"))
    #expect(tensor.dimensions == [8, 3])
    #expect(tensor.rowCount == 3)
    #expect(file.data(for: tensor).count == 96)
    #expect(file.dataOffset % 32 == 0)
    let info = try ModelInfo(gguf: file)
    #expect(info.parameters == 24)
    #expect(info.tensorTypes == ["F32": 1])
}

@Test func versionTwoLoads() throws {
    var builder = GGUFBuilder.minimal()
    builder.version = 2
    #expect(try loadError(builder.bytes()) == nil)
}

@Test func emptyFileIsRejected() throws {
    let error = try #require(try loadError([]))
    #expect(error.field == "magic")
}

@Test func randomBytesAreRejected() throws {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let error = try #require(try loadError(bytes))
    #expect(error.field == "magic")
}

@Test func wrongMagicIsRejected() throws {
    var bytes = GGUFBuilder.minimal().bytes()
    bytes[0] = UInt8(ascii: "X")
    let error = try #require(try loadError(bytes))
    #expect(error.field == "magic")
    #expect(error.description.contains("expected \"GGUF\""))
}

@Test func unsupportedVersionIsRejected() throws {
    var builder = GGUFBuilder.minimal()
    builder.version = 1
    let error = try #require(try loadError(builder.bytes()))
    #expect(error.field == "version")
}

@Test func truncationAtEveryByteNeverCrashes() throws {
    let bytes = GGUFBuilder.minimal().bytes()
    for length in stride(from: 0, to: bytes.count, by: 1) {
        #expect(try loadError(Array(bytes.prefix(length))) != nil, "prefix of \(length) bytes loaded")
    }
}

@Test func absurdTensorCountIsRejected() throws {
    var bytes = GGUFBuilder.minimal().bytes()
    withUnsafeBytes(of: UInt64(1) << 60) { bytes.replaceSubrange(8..<16, with: $0) }
    let error = try #require(try loadError(bytes))
    #expect(error.field == "tensor_count")
}

@Test func absurdStringLengthIsRejected() throws {
    var bytes = GGUFBuilder.minimal().bytes()
    // The first key's length follows the 24-byte header.
    withUnsafeBytes(of: UInt64.max / 2) { bytes.replaceSubrange(24..<32, with: $0) }
    let error = try #require(try loadError(bytes))
    #expect(error.problem.contains("string length"))
}

@Test func tensorOffsetPastTheEndIsRejected() throws {
    var builder = GGUFBuilder.minimal()
    builder.tensors[0].data = []
    var bytes = builder.bytes()
    // The tensor info ends with its type (u32) and offset (u64); the offset is the last 8 bytes before padding.
    let name = Array("token_embd.weight".utf8)
    let start = try #require(offset(of: name, in: bytes)) + name.count + 4 + 16 + 4
    withUnsafeBytes(of: UInt64(1 << 20)) { bytes.replaceSubrange(start..<(start + 8), with: $0) }
    let error = try #require(try loadError(bytes))
    #expect(error.field.hasPrefix("tensor token_embd.weight"))
}

@Test func unknownTensorTypeIsRejected() throws {
    var bytes = GGUFBuilder.minimal().bytes()
    let name = Array("token_embd.weight".utf8)
    let start = try #require(offset(of: name, in: bytes)) + name.count + 4 + 16
    withUnsafeBytes(of: UInt32(99)) { bytes.replaceSubrange(start..<(start + 4), with: $0) }
    let error = try #require(try loadError(bytes))
    #expect(error.field == "tensor token_embd.weight.type")
    #expect(error.problem.contains("99"))
}

@Test func unknownArchitectureIsRejected() throws {
    let error = try #require(try loadError(GGUFBuilder.minimal(architecture: "mamba").bytes()))
    #expect(error.field == "general.architecture")
    #expect(error.problem.contains("mamba"))
}

@Test func missingHyperparameterIsNamed() throws {
    var builder = GGUFBuilder.minimal()
    builder.metadata.removeAll { $0.0 == "llama.block_count" }
    let error = try #require(try loadError(builder.bytes()))
    #expect(error.field == "llama.block_count")
    #expect(error.problem.contains("missing"))
}

@Test func wrongValueTypeIsNamed() throws {
    var builder = GGUFBuilder.minimal()
    builder.metadata.removeAll { $0.0 == "llama.block_count" }
    builder.metadata.append(("llama.block_count", .string("thirty")))
    let error = try #require(try loadError(builder.bytes()))
    #expect(error.field == "llama.block_count")
    #expect(error.problem.contains("expected an integer"))
}

@Test func missingFileIsAnError() throws {
    #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
}

@Test func fileCopiedIntoMemoryParsesLikeTheMappedFile() throws {
    let bytes = GGUFBuilder.minimal().bytes()
    let path = try GGUFBuilder.write(bytes)
    defer { GGUFBuilder.remove(path) }
    let mapped = try GGUFFile(path: path)
    let copied = try GGUFFile(file: bytes.withUnsafeBytes { MappedFile(copying: $0, path: "memory.gguf") })
    #expect(copied.path == "memory.gguf")
    #expect(copied.metadataKeys == mapped.metadataKeys)
    #expect(copied.metadata == mapped.metadata)
    #expect(copied.tensors == mapped.tensors)
    let tensor = try #require(copied.tensor(named: "token_embd.weight"))
    #expect(Array(copied.data(for: tensor)) == Array(mapped.data(for: tensor)))
    var truncated = bytes
    truncated.removeLast(8)
    let short = truncated.withUnsafeBytes { MappedFile(copying: $0, path: "short.gguf") }
    let error = #expect(throws: GGUFError.self) { try GGUFFile(file: short) }
    #expect(error?.path == "short.gguf")
}
