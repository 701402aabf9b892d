import Foundation
import Tensor

/// The Llama decoder (SmolLM2 and Llama 3.x use it as is; Qwen2, Qwen3 and SmolLM3 are configurations of it,
/// see their files).
///
/// Mirrors llama.cpp `src/models/llama.cpp`: pre-norm blocks of RMSNorm → grouped-query attention
/// with RoPE → residual, RMSNorm → SwiGLU feed-forward → residual; final RMSNorm and the vocabulary
/// projection (tied to the embedding when the file has no `output.weight`). Llama 3.x files carry
/// `rope_freqs.weight`, a divisor per rotary pair (Llama 3's RoPE scaling, baked in by the converter).
public final class Llama: LanguageModel {
    public struct Configuration: Sendable {
        public let shape: ModelShape
        /// `<arch>.rope.freq_base`.
        public let ropeBase: Float
        public let ropeStyle: RopeStyle
        /// q, k and v projections carry biases (Qwen2).
        public let attentionBiases: Bool
        /// Queries and keys get a per-head RMSNorm before RoPE (Qwen3).
        public let queryKeyNorm: Bool
        /// Layer i skips RoPE when (i + 1) is a multiple of this (SmolLM3: 4, llama.cpp's n_no_rope_layer_step).
        public let noRopeLayerInterval: Int?
        /// The file may carry `rope_freqs.weight` (llama only: llama.cpp's other loaders do not read it).
        public let readsRopeFrequencyFactors: Bool

        /// Reads `<arch>.*` keys.
        public init(gguf: GGUFFile, vocabularySize: Int, ropeStyle: RopeStyle = .interleaved, defaultRopeBase: Float = 10_000,
                    attentionBiases: Bool = false, queryKeyNorm: Bool = false, noRopeLayerInterval: Int? = nil,
                    readsRopeFrequencyFactors: Bool = false) throws(GGUFError) {
            shape = try ModelShape(gguf: gguf, vocabularySize: vocabularySize)
            ropeBase = Float(try gguf.optionalFloat("\(shape.architecture).rope.freq_base") ?? Double(defaultRopeBase))
            let ropeDims = try gguf.optionalInt("\(shape.architecture).rope.dimension_count") ?? shape.headDim
            guard ropeDims == shape.headDim else {
                throw GGUFError(path: gguf.path, field: "\(shape.architecture).rope.dimension_count",
                                problem: "\(ropeDims), expected the head size \(shape.headDim) (partial RoPE is not supported)")
            }
            try refuseUnsupportedRopeScaling(gguf: gguf, architecture: shape.architecture)
            self.ropeStyle = ropeStyle
            self.attentionBiases = attentionBiases
            self.queryKeyNorm = queryKeyNorm
            self.noRopeLayerInterval = noRopeLayerInterval
            self.readsRopeFrequencyFactors = readsRopeFrequencyFactors
        }

        public func usesRope(layer: Int) -> Bool { noRopeLayerInterval.map { (layer + 1) % $0 != 0 } ?? true }
    }

    public let configuration: Configuration
    public var shape: ModelShape { configuration.shape }
    let layers: [PreNormLayer]
    let head: EmbeddingAndHead
    /// `rope_freqs.weight`: headDim / 2 divisors of the rotary angles (Llama 3).
    let ropeFrequencyFactors: [Float]?
    /// Keeps the mapping alive: the weights point into it.
    let file: GGUFFile

    public init(configuration: Configuration, gguf: GGUFFile) throws(GGUFError) {
        self.configuration = configuration
        file = gguf
        let weights = ModelWeights(gguf: gguf)
        let shape = configuration.shape
        head = try EmbeddingAndHead(weights: weights, shape: shape)
        ropeFrequencyFactors = configuration.readsRopeFrequencyFactors
            ? try weights.optionalVector("rope_freqs.weight", count: shape.headDim / 2) : nil
        var layers: [PreNormLayer] = []
        for i in 0..<shape.layerCount {
            layers.append(try PreNormLayer(
                weights: weights, layer: i, embedding: shape.embeddingSize,
                attention: AttentionBlock(weights: weights, layer: i, shape: shape, biases: configuration.attentionBiases,
                                          qkNorm: configuration.queryKeyNorm),
                feedForward: FeedForwardBlock(weights: weights, layer: i, shape: shape, activation: .silu)))
        }
        self.layers = layers
        try weights.requireEveryTensorRead(architecture: shape.architecture)
    }

    public convenience init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
        try self.init(configuration: Configuration(gguf: gguf, vocabularySize: vocabularySize, readsRopeFrequencyFactors: true), gguf: gguf)
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int32>, placement: TokenPlacement, state: ForwardState, logits: LogitRows) {
        let n = tokens.count
        let rope = AttentionBlock.Rope(base: configuration.ropeBase, style: configuration.ropeStyle, frequencyFactors: ropeFrequencyFactors)
        let scaling = AttentionBlock.Scaling.scores(1 / Float(shape.headDim).squareRoot())
        head.embed(tokens, into: state.x)
        for (i, layer) in layers.enumerated() {
            // x += attention(norm(x)); x += feedForward(norm(x))
            layer(state, LayerCall(count: n, placement: placement, layer: i, rope: configuration.usesRope(layer: i) ? rope : nil,
                                   scaling: scaling, epsilon: shape.normEpsilon))
        }
        head.logits(state.x, count: n, rows: logits, epsilon: shape.normEpsilon, state: state)
    }
}

/// Refuses RoPE scaling this build does not apply (llama.cpp's `rope.scaling.*` keys, read for every
/// architecture): a linear factor other than 1, YaRN and LongRoPE, and an attention factor other than 1.
/// (Llama 3's scaling has no key: it is the `rope_freqs.weight` tensor.)
func refuseUnsupportedRopeScaling(gguf: GGUFFile, architecture: String) throws(GGUFError) {
    let typeKey = "\(architecture).rope.scaling.type"
    let type = try gguf.optionalString(typeKey) ?? "linear"
    guard type == "none" || type == "linear" else {
        throw GGUFError(path: gguf.path, field: typeKey, problem: "\"\(type)\" is not supported, expected none or linear with factor 1")
    }
    for key in ["rope.scaling.factor", "rope.scale_linear", "rope.scaling.attn_factor"] {
        let field = "\(architecture).\(key)"
        if let factor = try gguf.optionalFloat(field), factor != 0, factor != 1 {
            throw GGUFError(path: gguf.path, field: field, problem: "\(factor), expected 1 (RoPE scaling is not supported)")
        }
    }
}
