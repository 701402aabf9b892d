import Foundation
import Testing
import Tensor
@testable import Transformer

/// GGUF files whose metadata claims absurd sizes: the loader refuses each out-of-range field by name,
/// and a session refuses a KV cache or scratch larger than the machine before allocating any of it.
@Suite struct HostileModelTests {
    /// A llama model whose tensors all point at one block of zeros, as a hostile file may: a few hundred
    /// KB on disk whatever sizes its metadata claims, and valid through `loadModel`.
    static func sharedDataLlama(layers: Int, embedding: Int = 8, heads: Int, kvHeads: Int, headDim: Int, feedForward: Int = 16,
                                context: Int, vocabulary: Int = 4) -> GGUFBuilder {
        var builder = GGUFBuilder()
        builder.metadata = [
            ("general.architecture", .string("llama")),
            ("llama.context_length", .uint32(UInt32(context))),
            ("llama.block_count", .uint32(UInt32(layers))),
            ("llama.embedding_length", .uint32(UInt32(embedding))),
            ("llama.feed_forward_length", .uint32(UInt32(feedForward))),
            ("llama.attention.head_count", .uint32(UInt32(heads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("llama.attention.key_length", .uint32(UInt32(headDim))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
        ]
        let (q, kv) = (heads * headDim, kvHeads * headDim)
        var shapes: [(String, [Int])] = [("token_embd.weight", [embedding, vocabulary]), ("output_norm.weight", [embedding])]
        for i in 0..<layers {
            shapes += [("blk.\(i).attn_norm.weight", [embedding]), ("blk.\(i).attn_q.weight", [embedding, q]),
                       ("blk.\(i).attn_k.weight", [embedding, kv]), ("blk.\(i).attn_v.weight", [embedding, kv]),
                       ("blk.\(i).attn_output.weight", [q, embedding]), ("blk.\(i).ffn_norm.weight", [embedding]),
                       ("blk.\(i).ffn_gate.weight", [embedding, feedForward]), ("blk.\(i).ffn_up.weight", [embedding, feedForward]),
                       ("blk.\(i).ffn_down.weight", [feedForward, embedding])]
        }
        let largest = shapes.map { $0.1.reduce(1, *) }.max() ?? 1
        // The first tensor lays out the zeros (as many as the largest needs); every tensor reads them from offset 0.
        builder.tensors = shapes.enumerated().map { index, shape in
            GGUFBuilder.Tensor(name: shape.0, dimensions: shape.1, type: .f32,
                               data: index == 0 ? [UInt8](repeating: 0, count: largest * 4) : [], sharedOffset: 0)
        }
        return builder
    }

    static func load(_ bytes: [UInt8]) throws -> any LanguageModel {
        let gguf = try GGUFFile(file: bytes.withUnsafeBytes { MappedFile(copying: $0, path: "hostile.gguf") })
        return try loadModel(gguf: gguf, vocabularySize: 4)
    }

    static func loadError(_ bytes: [UInt8]) -> GGUFError? {
        do {
            _ = try load(bytes)
            return nil
        } catch let error as GGUFError {
            return error
        } catch {
            Issue.record("not a GGUFError: \(error)")
            return nil
        }
    }

    /// Size fields far out of range (the last one past `Int.max`).
    static let absurdSizes: [(field: String, value: UInt64)] = [
        ("llama.context_length", 2_147_483_648), ("llama.block_count", 1_048_576), ("llama.embedding_length", 1_073_741_824),
        ("llama.attention.head_count", 1_048_576), ("llama.attention.key_length", 1_048_576),
        ("llama.feed_forward_length", 2_147_483_648), ("llama.attention.head_count_kv", 1_073_741_824),
        ("llama.block_count", 9_223_372_036_854_775_808),
    ]

    /// Each of them: the loader names the field (one line) instead of trusting it.
    @Test(arguments: absurdSizes)
    func absurdSizeFieldIsNamed(field: String, value: UInt64) throws {
        var builder = Self.sharedDataLlama(layers: 1, heads: 2, kvHeads: 1, headDim: 4, context: 64)
        let index = try #require(builder.metadata.firstIndex { $0.0 == field })
        builder.metadata[index].1 = .uint64(value)
        let error = try #require(Self.loadError(builder.bytes()), "\(field) = \(value) was accepted")
        #expect(error.field == field, "\(error)")
        #expect(error.problem.contains("\(value)"), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    /// Every field in range, but together they claim a KV cache of 1024 layers × 64 KV heads × 256 per
    /// head: 64 MiB per position, 64 TiB for the 2^20 positions the file allows. The model loads (its
    /// tensors are all the same few KB); the session refuses before allocating, naming the fields.
    @Test func kvCacheBeyondMemoryIsRefusedByName() throws {
        let model = try Self.load(Self.sharedDataLlama(layers: 1024, heads: 64, kvHeads: 64, headDim: 256, context: 1 << 20).bytes())
        let error = #expect(throws: GenerationError.self) { try Session(model: model, contextSize: 1 << 20, threads: 1) }
        guard case .memoryExceeded(let what, let bytes, _) = error else {
            Issue.record("expected memoryExceeded, got \(String(describing: error))")
            return
        }
        #expect(bytes == 1024 * (1 << 20) * 64 * 256 * 2 * 2)
        for factor in ["the KV cache", "llama.block_count 1024", "context 1048576", "llama.attention.head_count_kv 64", "llama.attention.key_length 256"] {
            #expect(what.contains(factor), "\(what)")
        }
        let message = String(describing: error ?? .emptyPrompt)
        #expect(message.contains("needs 64.0 TiB, more than this machine's memory"), "\(message)")
        #expect(!message.contains("\n"))
    }

    /// The same check passes a state that fits, and names an overflowing size instead of wrapping around.
    @Test func stateSizeCheckBoundsAndOverflow() throws {
        let model = try Self.load(Self.sharedDataLlama(layers: 2, heads: 2, kvHeads: 1, headDim: 4, context: 64).bytes())
        let shape = model.shape
        // KV 2 × 64 × 4 × 2 × 2 bytes = 2 KiB, plus the scratch: well under 1 MiB.
        try ForwardState.checkMemory(shape: shape, contextSize: 64, batchCapacity: 8, logitCapacity: 1, threads: 1, available: 1 << 20)
        #expect(throws: GenerationError.self) {
            try ForwardState.checkMemory(shape: shape, contextSize: 64, batchCapacity: 8, logitCapacity: 1, threads: 1, available: 1024)
        }
        let error = #expect(throws: GenerationError.self) {
            try ForwardState.checkMemory(shape: shape, contextSize: Int.max / 4, batchCapacity: 8, logitCapacity: 1, threads: 1, available: .max)
        }
        #expect(error == .memoryExceeded(what: "the KV cache (llama.block_count 2 × context \(Int.max / 4) × llama.attention.head_count_kv 1 "
                                             + "× llama.attention.key_length 4 × keys and values 2 × bytes 2)", bytes: nil, available: .max))
        #expect(String(describing: error ?? .emptyPrompt).contains("more than 2^63 bytes"))
    }

    /// A tensor no loader reads would leave the computation different from the model's: the file is refused,
    /// naming it (llama.cpp refuses it too). Here an output bias on a Llama, and Llama 3's `rope_freqs` on
    /// Qwen2, whose llama.cpp loader does not read it either.
    /// The loader's error for a tiny model's file (TinyModel's vocabulary of 256).
    static func tinyLoadError(_ builder: GGUFBuilder) throws -> GGUFError? {
        let gguf = try builder.bytes().withUnsafeBytes { try GGUFFile(file: MappedFile(copying: $0, path: "tiny.gguf")) }
        do {
            _ = try loadModel(gguf: gguf, vocabularySize: 256)
            return nil
        } catch {
            return error
        }
    }

    @Test func unreadTensorIsRefusedByName() throws {
        // Gemma 2's head is always the embedding (llama.cpp reads no output.weight for it).
        let extras: [(architecture: String, tensor: String, count: Int)] = [("llama", "blk.0.attn_output.bias", 64),
                                                                            ("qwen2", "rope_freqs.weight", 8),
                                                                            ("gemma2", "output.weight", 64 * 256)]
        for (architecture, tensor, count) in extras {
            var builder = TinyModel.standard(architecture).builder()
            builder.tensors.append(GGUFBuilder.Tensor(name: tensor, dimensions: [count], type: .f32, data: [UInt8](repeating: 0, count: count * 4)))
            let error = try #require(try Self.tinyLoadError(builder), "\(architecture) with \(tensor) was accepted")
            #expect(error.field == "tensor \(tensor)", "\(error)")
            #expect(error.problem.contains("refusing the file"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    /// RoPE scaling this build does not apply (YaRN, a linear factor) is refused by its key, never ignored.
    @Test func unsupportedRopeScalingIsRefusedByName() throws {
        let keys: [(String, GGUFBuilder.Value)] = [("llama.rope.scaling.type", .string("yarn")), ("llama.rope.scaling.factor", .float32(8)),
                                                   ("gemma3.rope.scaling.factor", .float32(8))]
        for (key, value) in keys {
            var builder = TinyModel.standard(key.hasPrefix("gemma3") ? "gemma3" : "llama").builder()
            builder.metadata.append((key, value))
            let error = try #require(try Self.tinyLoadError(builder), "\(key) was accepted")
            #expect(error.field == key, "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }
}
