import Foundation
import Tensor

/// Gemma 2. Mirrors llama.cpp `src/models/gemma2.cpp`. Gemma 3's block (see Gemma3.swift) without its q/k norms,
/// plus soft-capping:
/// - attention scores are capped, s → c·tanh(s / c) with c = `attn_logit_softcapping` (50 by default), inside the
///   attention kernels where llama.cpp's flash attention does it;
/// - the logits are capped the same way with `final_logit_softcapping` (30 by default);
/// - even layers attend over a sliding window (`attention.sliding_window`, 4096 by default), odd layers globally,
///   all with one RoPE base (unless `rope.freq_base_swa` gives the sliding layers their own);
/// - queries are scaled by 1/√headDim before attention (27B, 46 layers: 1/√(embedding / heads), as llama.cpp);
/// - the output projection is always the embedding (llama.cpp reads no `output.weight` for Gemma 2).
public final class Gemma2: LanguageModel {
    public struct Configuration: Sendable {
        public let shape: ModelShape
        public let ropeBase: Float
        /// `rope.freq_base_swa`, else `ropeBase`.
        public let slidingRopeBase: Float
        public let slidingWindow: Int
        /// `attention.sliding_window_pattern` (2): layer i slides when i mod pattern < pattern − 1 (0: every layer).
        public let slidingWindowPattern: Int
        /// `attn_logit_softcapping`: c of c·tanh(score / c).
        public let attentionSoftcap: Float
        /// `final_logit_softcapping`: c of c·tanh(logit / c).
        public let finalSoftcap: Float
        /// The factor queries are multiplied by before attention.
        public let queryScale: Float

        public init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
            shape = try ModelShape(gguf: gguf, vocabularySize: vocabularySize)
            let arch = shape.architecture
            ropeBase = Float(try gguf.optionalFloat("\(arch).rope.freq_base") ?? 10_000)
            slidingRopeBase = try gguf.optionalFloat("\(arch).rope.freq_base_swa").map(Float.init) ?? ropeBase
            try refuseUnsupportedRopeScaling(gguf: gguf, architecture: arch)
            let ropeDims = try gguf.optionalInt("\(arch).rope.dimension_count") ?? shape.headDim
            guard ropeDims == shape.headDim else {
                throw GGUFError(path: gguf.path, field: "\(arch).rope.dimension_count",
                                problem: "\(ropeDims), expected the head size \(shape.headDim) (partial RoPE is not supported)")
            }
            slidingWindow = try gguf.optionalInt("\(arch).attention.sliding_window") ?? 4096
            guard slidingWindow > 0 else {
                throw GGUFError(path: gguf.path, field: "\(arch).attention.sliding_window", problem: "\(slidingWindow), expected a positive window")
            }
            slidingWindowPattern = try gguf.optionalInt("\(arch).attention.sliding_window_pattern") ?? 2
            guard slidingWindowPattern >= 0 else {
                throw GGUFError(path: gguf.path, field: "\(arch).attention.sliding_window_pattern",
                                problem: "\(slidingWindowPattern), expected a layer count")
            }
            func softcap(_ key: String, default value: Float) throws(GGUFError) -> Float {
                let cap = Float(try gguf.optionalFloat("\(arch).\(key)") ?? Double(value))
                // 0 would divide by zero in llama.cpp's final capping; a cap must be a positive number.
                guard cap > 0, cap.isFinite else {
                    throw GGUFError(path: gguf.path, field: "\(arch).\(key)", problem: "\(cap), expected a positive number")
                }
                return cap
            }
            attentionSoftcap = try softcap("attn_logit_softcapping", default: 50)
            finalSoftcap = try softcap("final_logit_softcapping", default: 30)
            // llama.cpp: Gemma 2 27B (46 layers) scales by its query_pre_attn_scalar, embedding / heads.
            queryScale = shape.layerCount == 46
                ? 1 / Float(shape.embeddingSize / shape.headCount).squareRoot()
                : 1 / Float(shape.headDim).squareRoot()
        }

        public func isSliding(layer: Int) -> Bool {
            slidingWindowPattern == 0 || layer % slidingWindowPattern < slidingWindowPattern - 1
        }
    }

    public let configuration: Configuration
    public var shape: ModelShape { configuration.shape }
    let layers: [SandwichLayer]
    let head: EmbeddingAndHead
    let file: GGUFFile

    public init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
        configuration = try Configuration(gguf: gguf, vocabularySize: vocabularySize)
        file = gguf
        let weights = ModelWeights(gguf: gguf)
        let shape = configuration.shape
        let d = shape.embeddingSize
        head = try EmbeddingAndHead(weights: weights, shape: shape, alwaysTied: true)
        var layers: [SandwichLayer] = []
        for i in 0..<shape.layerCount {
            layers.append(try SandwichLayer(
                weights: weights, layer: i, embedding: d,
                attention: AttentionBlock(weights: weights, layer: i, shape: shape),
                feedForward: FeedForwardBlock(weights: weights, layer: i, shape: shape, activation: .geluTanh)))
        }
        self.layers = layers
        try weights.requireEveryTensorRead(architecture: "gemma2")
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int32>, placement: TokenPlacement, state: ForwardState, logits: LogitRows) {
        let n = tokens.count
        let d = shape.embeddingSize
        let epsilon = shape.normEpsilon
        let scaling = AttentionBlock.Scaling.queries(configuration.queryScale)
        head.embed(tokens, into: state.x, scale: Float(d).squareRoot())
        for (i, layer) in layers.enumerated() {
            let sliding = configuration.isSliding(layer: i)
            let rope = AttentionBlock.Rope(base: sliding ? configuration.slidingRopeBase : configuration.ropeBase, style: .neox)
            // x += postNorm(attention(norm(x))), the scores capped; x += postNorm(feedForward(norm(x)))
            layer(state, LayerCall(count: n, placement: placement, layer: i, rope: rope, scaling: scaling,
                                   softcap: configuration.attentionSoftcap, window: sliding ? configuration.slidingWindow : nil,
                                   epsilon: epsilon))
        }
        head.logits(state.x, count: n, rows: logits, epsilon: epsilon, state: state)
        let rows = switch logits {
        case .none: 0
        case .last: 1
        case .all: n
        }
        softcapInPlace(state.logits, cap: configuration.finalSoftcap, count: rows * shape.vocabularySize)
    }
}

/// x → cap · tanh(x · (1/cap)), as ggml computes it (scale, tanhf, scale: Gemma 2's final logit soft-capping).
func softcapInPlace(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) {
    let inverse = 1 / cap
    for i in 0..<count { x[i] = tanhf(x[i] * inverse) * cap }
}
