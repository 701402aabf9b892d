import Tensor

/// Phi-3 / Phi-3.5-mini / Phi-4-mini (`phi3`). Mirrors llama.cpp `src/models/phi3.cpp`: the Llama decoder with
/// - q, k and v fused in one `attn_qkv.weight` (separate tensors are accepted too), and the gate and up projections
///   in one `ffn_up.weight` (gate rows first): read in place as row ranges, not copied;
/// - NeoX RoPE, over the first `rope.dimension_count` dimensions of each head (Phi-4-mini: 96 of 128);
/// - LongRoPE (Phi-3.5, Phi-4-mini): per-pair divisors `rope_factors_short.weight` when the context fits the original
///   one (`rope.scaling.original_context_length`), else `rope_factors_long.weight`, chosen like llama.cpp by the
///   context size the cache was made for; cosines and sines multiplied by `rope.scaling.attn_factor`;
/// - queries (not scores) scaled by 1/√headDim;
/// - `attention.sliding_window` ignored, as llama.cpp ignores it for this architecture (its Phi SWA is disabled).
public final class Phi3: LanguageModel {
    public struct Configuration: Sendable {
        public let shape: ModelShape
        public let ropeBase: Float
        /// Dimensions rotated at the start of each head.
        public let rotaryDimensions: Int
        /// `rope.scaling.attn_factor` (1 without LongRoPE).
        public let ropeAttentionFactor: Float
        /// `rope.scaling.original_context_length`, else `context_length`: contexts larger than this take the long factors.
        public let originalContextLength: Int

        public init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
            shape = try ModelShape(gguf: gguf, vocabularySize: vocabularySize)
            let arch = shape.architecture
            // llama.cpp makes the query projection and attn_output embedding × embedding.
            guard shape.queryDim == shape.embeddingSize else {
                throw GGUFError(path: gguf.path, field: "\(arch).attention.key_length",
                                problem: "\(shape.headDim) × \(shape.headCount) heads, expected the embedding \(shape.embeddingSize)")
            }
            ropeBase = Float(try gguf.optionalFloat("\(arch).rope.freq_base") ?? 10_000)
            rotaryDimensions = try gguf.optionalInt("\(arch).rope.dimension_count") ?? shape.headDim
            guard rotaryDimensions > 0, rotaryDimensions <= shape.headDim, rotaryDimensions % 2 == 0 else {
                throw GGUFError(path: gguf.path, field: "\(arch).rope.dimension_count",
                                problem: "\(rotaryDimensions), expected an even number up to the head size \(shape.headDim)")
            }
            // LongRoPE is factors and an attention factor; a scaling type with other arithmetic (YaRN) is refused.
            let typeKey = "\(arch).rope.scaling.type"
            let type = try gguf.optionalString(typeKey) ?? "linear"
            guard ["none", "linear", "longrope"].contains(type) else {
                throw GGUFError(path: gguf.path, field: typeKey, problem: "\"\(type)\" is not supported, expected none, linear with factor 1, or longrope")
            }
            for key in ["rope.scaling.factor", "rope.scale_linear"] {
                if let factor = try gguf.optionalFloat("\(arch).\(key)"), factor != 0, factor != 1 {
                    throw GGUFError(path: gguf.path, field: "\(arch).\(key)", problem: "\(factor), expected 1 (linear RoPE scaling is not supported)")
                }
            }
            let attentionFactor = try gguf.optionalFloat("\(arch).rope.scaling.attn_factor") ?? 1
            guard attentionFactor > 0, attentionFactor.isFinite else {
                throw GGUFError(path: gguf.path, field: "\(arch).rope.scaling.attn_factor", problem: "\(attentionFactor), expected a positive number")
            }
            ropeAttentionFactor = Float(attentionFactor)
            originalContextLength = try gguf.optionalInt("\(arch).rope.scaling.original_context_length") ?? shape.contextLength
        }
    }

    public let configuration: Configuration
    public var shape: ModelShape { configuration.shape }
    let layers: [PreNormLayer]
    let head: EmbeddingAndHead
    /// LongRoPE's divisors, rotaryDimensions / 2 each: for contexts up to the original length, and beyond it.
    let shortRopeFactors: [Float]?
    let longRopeFactors: [Float]?
    let file: GGUFFile

    public init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
        configuration = try Configuration(gguf: gguf, vocabularySize: vocabularySize)
        file = gguf
        let weights = ModelWeights(gguf: gguf)
        let shape = configuration.shape
        let d = shape.embeddingSize
        head = try EmbeddingAndHead(weights: weights, shape: shape)
        shortRopeFactors = try weights.optionalVector("rope_factors_short.weight", count: configuration.rotaryDimensions / 2)
        longRopeFactors = try weights.optionalVector("rope_factors_long.weight", count: configuration.rotaryDimensions / 2)
        var layers: [PreNormLayer] = []
        for i in 0..<shape.layerCount {
            layers.append(try PreNormLayer(
                weights: weights, layer: i, embedding: d,
                attention: AttentionBlock(weights: weights, layer: i, shape: shape, mayBeFused: true),
                feedForward: FeedForwardBlock(weights: weights, fusedLayer: i, shape: shape, activation: .silu)))
        }
        self.layers = layers
        try weights.requireEveryTensorRead(architecture: "phi3")
    }

    /// The LongRoPE factors for a cache of `contextSize` positions (llama.cpp compares its n_ctx_seq).
    func ropeFactors(contextSize: Int) -> [Float]? {
        contextSize > configuration.originalContextLength ? longRopeFactors : shortRopeFactors
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int32>, placement: TokenPlacement, state: ForwardState, logits: LogitRows) {
        let n = tokens.count
        // Sessions decoded together (BatchDecoder) are made with one context size, so the first one's decides.
        let contextSize = switch placement {
        case .consecutive: state.cache.capacity
        case .sequences(let sequences): sequences.first?.cache.capacity ?? state.cache.capacity
        }
        let rope = AttentionBlock.Rope(base: configuration.ropeBase, style: .neox, frequencyFactors: ropeFactors(contextSize: contextSize),
                                       dimensions: configuration.rotaryDimensions, attentionFactor: configuration.ropeAttentionFactor)
        let scaling = AttentionBlock.Scaling.queries(1 / Float(shape.headDim).squareRoot())
        head.embed(tokens, into: state.x)
        for (i, layer) in layers.enumerated() {
            // x += attention(norm(x)); x += feedForward(norm(x)), SwiGLU over the fused gate-and-up product
            layer(state, LayerCall(count: n, placement: placement, layer: i, rope: rope, scaling: scaling, epsilon: shape.normEpsilon))
        }
        head.logits(state.x, count: n, rows: logits, epsilon: shape.normEpsilon, state: state)
    }
}
