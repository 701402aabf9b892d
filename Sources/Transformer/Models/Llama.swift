import Foundation
import Tensor

/// The Llama decoder (SmolLM2 uses it as is; Qwen2 adds projection biases and NeoX RoPE, see Qwen2.swift).
///
/// Mirrors llama.cpp `src/models/llama.cpp`: pre-norm blocks of RMSNorm → grouped-query attention
/// with RoPE → residual, RMSNorm → SwiGLU feed-forward → residual; final RMSNorm and the vocabulary
/// projection (tied to the embedding when the file has no `output.weight`).
public final class Llama: LanguageModel {
    public struct Configuration: Sendable {
        public let shape: ModelShape
        /// `<arch>.rope.freq_base`.
        public let ropeBase: Float
        public let ropeStyle: RopeStyle
        /// q, k and v projections carry biases (Qwen2).
        public let attentionBiases: Bool

        /// Reads `llama.*` keys.
        public init(gguf: GGUFFile, vocabularySize: Int, ropeStyle: RopeStyle = .interleaved, defaultRopeBase: Float = 10_000,
                    attentionBiases: Bool = false) throws(GGUFError) {
            shape = try ModelShape(gguf: gguf, vocabularySize: vocabularySize)
            ropeBase = Float(try gguf.optionalFloat("\(shape.architecture).rope.freq_base") ?? Double(defaultRopeBase))
            let ropeDims = try gguf.optionalInt("\(shape.architecture).rope.dimension_count") ?? shape.headDim
            guard ropeDims == shape.headDim else {
                throw GGUFError(path: gguf.path, field: "\(shape.architecture).rope.dimension_count",
                                problem: "\(ropeDims), expected the head size \(shape.headDim) (partial RoPE is not supported)")
            }
            self.ropeStyle = ropeStyle
            self.attentionBiases = attentionBiases
        }
    }

    struct Layer: Sendable {
        let attentionNorm: [Float]
        let attention: AttentionBlock
        let feedForwardNorm: [Float]
        let feedForward: FeedForwardBlock
    }

    public let configuration: Configuration
    public var shape: ModelShape { configuration.shape }
    let layers: [Layer]
    let head: EmbeddingAndHead
    /// Keeps the mapping alive: the weights point into it.
    let file: GGUFFile

    public init(configuration: Configuration, gguf: GGUFFile) throws(GGUFError) {
        self.configuration = configuration
        file = gguf
        let weights = ModelWeights(gguf: gguf)
        let shape = configuration.shape
        head = try EmbeddingAndHead(weights: weights, shape: shape)
        var layers: [Layer] = []
        for i in 0..<shape.layerCount {
            layers.append(Layer(
                attentionNorm: try weights.vector("blk.\(i).attn_norm.weight", count: shape.embeddingSize),
                attention: try AttentionBlock(weights: weights, layer: i, embedding: shape.embeddingSize, headCount: shape.headCount,
                                              kvHeadCount: shape.kvHeadCount, headDim: shape.headDim, biases: configuration.attentionBiases),
                feedForwardNorm: try weights.vector("blk.\(i).ffn_norm.weight", count: shape.embeddingSize),
                feedForward: try FeedForwardBlock(weights: weights, layer: i, embedding: shape.embeddingSize,
                                                  hidden: shape.feedForwardSize, activation: .silu)))
        }
        self.layers = layers
    }

    public convenience init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
        try self.init(configuration: Configuration(gguf: gguf, vocabularySize: vocabularySize), gguf: gguf)
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int32>, placement: TokenPlacement, state: ForwardState, logits: LogitRows) {
        let n = tokens.count
        let d = shape.embeddingSize
        let epsilon = shape.normEpsilon
        let rope = AttentionBlock.Rope(base: configuration.ropeBase, style: configuration.ropeStyle)
        let scaling = AttentionBlock.Scaling.scores(1 / Float(shape.headDim).squareRoot())
        head.embed(tokens, into: state.x)
        for (i, layer) in layers.enumerated() {
            // x += attention(norm(x))
            rmsNorm(state.x, weight: layer.attentionNorm, into: state.xn, width: d, rows: n, epsilon: epsilon)
            layer.attention(state.xn, count: n, placement: placement, layer: i, rope: rope, scaling: scaling, window: nil,
                            normEpsilon: epsilon, state: state, into: state.projection)
            addInPlace(state.x, state.projection, count: n * d)
            // x += feedForward(norm(x))
            rmsNorm(state.x, weight: layer.feedForwardNorm, into: state.xn, width: d, rows: n, epsilon: epsilon)
            layer.feedForward(state.xn, count: n, state: state, into: state.projection)
            addInPlace(state.x, state.projection, count: n * d)
        }
        head.logits(state.x, count: n, rows: logits, epsilon: epsilon, state: state)
    }
}
