import Foundation
import Tensor

/// Gemma 3 (text). Mirrors llama.cpp `src/models/gemma3.cpp`. What differs from Llama:
/// - the embedding is scaled by √embedding;
/// - queries and keys get a per-head RMSNorm before RoPE; queries (not scores) are scaled by 1/√headDim;
/// - each block has norms before and after attention and before and after the feed-forward network;
/// - the feed-forward network is GeGLU (GELU, tanh approximation);
/// - five of every six layers attend over a sliding window (`attention.sliding_window`) with RoPE base
///   10 000; every sixth layer is global with `rope.freq_base`;
/// - the output projection is tied to the embedding. (Norm weights already include Gemma's +1 in GGUF.)
public final class Gemma3: LanguageModel {
    public struct Configuration: Sendable {
        public let shape: ModelShape
        public let ropeBase: Float
        /// RoPE base of the sliding-window layers (llama.cpp fixes it at 10 000 for Gemma 3).
        public let slidingRopeBase: Float = 10_000
        public let slidingWindow: Int
        /// Layer i is global when (i + 1) is a multiple of this.
        public let slidingWindowPattern = 6

        public init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
            shape = try ModelShape(gguf: gguf, vocabularySize: vocabularySize)
            ropeBase = Float(try gguf.optionalFloat("gemma3.rope.freq_base") ?? 1_000_000)
            try refuseUnsupportedRopeScaling(gguf: gguf, architecture: "gemma3")
            slidingWindow = try gguf.int("gemma3.attention.sliding_window")
            guard slidingWindow > 0 else {
                throw GGUFError(path: gguf.path, field: "gemma3.attention.sliding_window", problem: "\(slidingWindow), expected a positive window")
            }
        }

        public func isSliding(layer: Int) -> Bool { (layer + 1) % slidingWindowPattern != 0 }
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
        head = try EmbeddingAndHead(weights: weights, shape: shape)
        var layers: [SandwichLayer] = []
        for i in 0..<shape.layerCount {
            layers.append(try SandwichLayer(
                weights: weights, layer: i, embedding: d,
                attention: AttentionBlock(weights: weights, layer: i, shape: shape, qkNorm: true),
                feedForward: FeedForwardBlock(weights: weights, layer: i, shape: shape, activation: .geluTanh)))
        }
        self.layers = layers
        try weights.requireEveryTensorRead(architecture: "gemma3")
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int32>, placement: TokenPlacement, state: ForwardState, logits: LogitRows) {
        let n = tokens.count
        let d = shape.embeddingSize
        let epsilon = shape.normEpsilon
        let scaling = AttentionBlock.Scaling.queries(1 / Float(shape.headDim).squareRoot())
        head.embed(tokens, into: state.x, scale: Float(d).squareRoot())
        for (i, layer) in layers.enumerated() {
            let sliding = configuration.isSliding(layer: i)
            let rope = AttentionBlock.Rope(base: sliding ? configuration.slidingRopeBase : configuration.ropeBase, style: .neox)
            // x += postNorm(attention(norm(x))); x += postNorm(feedForward(norm(x)))
            layer(state, LayerCall(count: n, placement: placement, layer: i, rope: rope, scaling: scaling,
                                   window: sliding ? configuration.slidingWindow : nil, epsilon: epsilon))
        }
        head.logits(state.x, count: n, rows: logits, epsilon: epsilon, state: state)
    }
}
