import Foundation
import Tensor
@testable import Transformer

/// Small random-weight models of each architecture, written as GGUF from a fixed seed: the same file on
/// every run and machine, loaded through the same `loadModel` as a real one, in a few milliseconds.
/// The tensor names, shapes and keys are those Llama.swift, Qwen2.swift, Gemma3.swift and Gemma2.swift read.
struct TinyModel {
    var architecture: String
    var layers = 3
    var embedding = 64
    var heads = 4
    var kvHeads = 2
    /// Nil: embedding / heads, with no `attention.key_length` key (as Llama and Qwen2 files have).
    var headDim: Int? = nil
    var feedForward = 128
    var vocabulary = 256
    var context = 256
    var weightType: GGMLType = .f32
    /// Gemma's `attention.sliding_window`.
    var slidingWindow = 8
    /// Whether the file has its own `output.weight` (otherwise the head is tied to the embedding).
    var separateOutput = false
    var seed: UInt64 = 18

    /// The architectures `loadModel` runs, each with its usual layout: SmolLM2-like Llama (tied head,
    /// Q8_0 weights, so the integer kernels run), Qwen2 with its biases and its own output matrix (F32:
    /// sgemm), Gemma 3 with 6 layers so that the last one is global, and head size 32 ≠ 64 / 4 (F16), Gemma 2
    /// with sliding and global layers in turn and its scores and logits soft-capped (Q8_0).
    static func standard(_ architecture: String) -> TinyModel {
        switch architecture {
        case "llama": TinyModel(architecture: "llama", weightType: .q8_0)
        case "qwen2": TinyModel(architecture: "qwen2", weightType: .f32, separateOutput: true)
        case "gemma3": TinyModel(architecture: "gemma3", layers: 6, headDim: 32, weightType: .f16)
        case "gemma2": TinyModel(architecture: "gemma2", layers: 4, weightType: .q8_0)
        default: preconditionFailure("no tiny model for \(architecture)")
        }
    }

    static let architectures = ["llama", "qwen2", "gemma3", "gemma2"]

    func builder() -> GGUFBuilder {
        let arch = architecture
        let headDim = self.headDim ?? embedding / heads
        let (qDim, kvDim) = (heads * headDim, kvHeads * headDim)
        var builder = GGUFBuilder()
        builder.metadata = [
            ("general.architecture", .string(arch)),
            ("\(arch).context_length", .uint32(UInt32(context))),
            ("\(arch).block_count", .uint32(UInt32(layers))),
            ("\(arch).embedding_length", .uint32(UInt32(embedding))),
            ("\(arch).feed_forward_length", .uint32(UInt32(feedForward))),
            ("\(arch).attention.head_count", .uint32(UInt32(heads))),
            ("\(arch).attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(1e-6)),
            ("\(arch).rope.freq_base", .float32(arch == "llama" ? 10_000 : 1_000_000)),
        ]
        if let headDim = self.headDim {
            builder.metadata += [("\(arch).attention.key_length", .uint32(UInt32(headDim))),
                                 ("\(arch).attention.value_length", .uint32(UInt32(headDim)))]
        }
        if arch.hasPrefix("gemma") { builder.metadata.append(("\(arch).attention.sliding_window", .uint32(UInt32(slidingWindow)))) }

        var generator = SeededGenerator(seed: seed)
        // GGUF dimensions are [columns, rows]; matrices get uniform weights of variance 1/columns, so
        // activations keep their scale through the layers; norms are 1 ± 0.2 (Gemma's +1 is in the file).
        func matrix(_ name: String, rows: Int, columns: Int, type: GGMLType? = nil) -> GGUFBuilder.Tensor {
            let bound = Float(3).squareRoot() / Float(columns).squareRoot()
            let values = (0..<rows * columns).map { _ in Float.random(in: -bound...bound, using: &generator) }
            let type = type ?? weightType
            return GGUFBuilder.Tensor(name: name, dimensions: [columns, rows], type: type, data: Self.encode(values, as: type))
        }
        func vector(_ name: String, count: Int, around center: Float, spread: Float) -> GGUFBuilder.Tensor {
            let values = (0..<count).map { _ in center + Float.random(in: -spread...spread, using: &generator) }
            return GGUFBuilder.Tensor(name: name, dimensions: [count], type: .f32, data: Self.encode(values, as: .f32))
        }
        // The embedding is read row by row (any type); its rows have unit variance before Gemma's √d scale.
        var tensors = [matrix("token_embd.weight", rows: vocabulary, columns: embedding)]
        tensors.append(vector("output_norm.weight", count: embedding, around: 1, spread: 0.2))
        if separateOutput { tensors.append(matrix("output.weight", rows: vocabulary, columns: embedding)) }
        for i in 0..<layers {
            let p = "blk.\(i)."
            tensors.append(vector(p + "attn_norm.weight", count: embedding, around: 1, spread: 0.2))
            tensors += [matrix(p + "attn_q.weight", rows: qDim, columns: embedding), matrix(p + "attn_k.weight", rows: kvDim, columns: embedding),
                        matrix(p + "attn_v.weight", rows: kvDim, columns: embedding), matrix(p + "attn_output.weight", rows: embedding, columns: qDim)]
            if arch == "qwen2" {
                tensors += [vector(p + "attn_q.bias", count: qDim, around: 0, spread: 0.5), vector(p + "attn_k.bias", count: kvDim, around: 0, spread: 0.5),
                            vector(p + "attn_v.bias", count: kvDim, around: 0, spread: 0.5)]
            }
            if arch == "gemma3" {
                tensors += [vector(p + "attn_q_norm.weight", count: headDim, around: 1, spread: 0.2),
                            vector(p + "attn_k_norm.weight", count: headDim, around: 1, spread: 0.2)]
            }
            if arch.hasPrefix("gemma") {
                tensors += [vector(p + "post_attention_norm.weight", count: embedding, around: 1, spread: 0.2),
                            vector(p + "post_ffw_norm.weight", count: embedding, around: 1, spread: 0.2)]
            }
            tensors.append(vector(p + "ffn_norm.weight", count: embedding, around: 1, spread: 0.2))
            tensors += [matrix(p + "ffn_gate.weight", rows: feedForward, columns: embedding), matrix(p + "ffn_up.weight", rows: feedForward, columns: embedding),
                        matrix(p + "ffn_down.weight", rows: embedding, columns: feedForward)]
        }
        builder.tensors = tensors
        return builder
    }

    /// The model, through `loadModel` as `ModelRuntime` does (no tokenizer: the tests feed token ids).
    func load() throws -> any LanguageModel {
        let bytes = builder().bytes()
        let gguf = try GGUFFile(file: bytes.withUnsafeBytes { MappedFile(copying: $0, path: "tiny-\(architecture).gguf") })
        return try loadModel(gguf: gguf, vocabularySize: vocabulary)
    }

    /// `values` in the file's encoding of `type`: F32, F16, or Q8_0 (blocks of 32: an f16 scale
    /// d = amax / 127, then 32 int8 q = round(x / d), as ggml's `quantize_row_q8_0_ref`).
    static func encode(_ values: [Float], as type: GGMLType) -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        switch type {
        case .f32: values.forEach { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        case .f16: values.forEach { u16(Float16($0).bitPattern) }
        case .q8_0:
            precondition(values.count % 32 == 0)
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<start + 32]
                let d = (block.map(abs).max() ?? 0) / 127
                let inverse = d == 0 ? 0 : 1 / d
                u16(Float16(d).bitPattern)
                out += block.map { UInt8(bitPattern: Int8(($0 * inverse).rounded())) }
            }
        default: preconditionFailure("TinyModel writes F32, F16 and Q8_0, not \(type.name)")
        }
        return out
    }
}
