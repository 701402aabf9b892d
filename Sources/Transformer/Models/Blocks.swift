import Tensor

// The pieces every architecture here composes: attention with its projections, the gated feed-forward network,
// and the two ways the families here wrap them in norms and residuals. Architecture files choose the pieces and
// their settings per layer (RoPE, scaling, window) and own the loop.

/// Per-layer attention weights and geometry.
public struct AttentionBlock: Sendable {
    public let query: WeightMatrix  // (headCount·headDim, embedding)
    public let key: WeightMatrix  // (kvHeadCount·headDim, embedding)
    public let value: WeightMatrix  // (kvHeadCount·headDim, embedding)
    public let output: WeightMatrix  // (embedding, headCount·headDim)
    /// Qwen2's projection biases.
    public let queryBias: [Float]?
    public let keyBias: [Float]?
    public let valueBias: [Float]?
    /// Gemma 3's per-head RMSNorm of queries and keys, applied before RoPE.
    public let queryNorm: [Float]?
    public let keyNorm: [Float]?
    public let headCount: Int
    public let kvHeadCount: Int
    public let headDim: Int

    /// Loads `blk.N.attn_*` tensors. `mayBeFused`: q, k and v may come as one `attn_qkv.weight` (Phi-3), their
    /// rows in that order, which is then read in place as three row ranges.
    public init(weights: ModelWeights, layer: Int, shape: ModelShape, biases: Bool = false, qkNorm: Bool = false,
                mayBeFused: Bool = false) throws(GGUFError) {
        let (embedding, headCount, kvHeadCount, headDim) = (shape.embeddingSize, shape.headCount, shape.kvHeadCount, shape.headDim)
        let prefix = "blk.\(layer)."
        let qDim = headCount * headDim
        let kvDim = kvHeadCount * headDim
        if mayBeFused && weights.has(prefix + "attn_qkv.weight") {
            let name = prefix + "attn_qkv.weight"
            let fused = try weights.matrix(name, rows: qDim + 2 * kvDim, columns: embedding)
            guard let q = fused.rows(0..<qDim), let k = fused.rows(qDim..<qDim + kvDim), let v = fused.rows(qDim + kvDim..<qDim + 2 * kvDim) else {
                throw GGUFError(path: weights.gguf.path, field: "tensor \(name)", problem: "q, k and v rows do not fall on the 8-row groups of its layout")
            }
            (query, key, value) = (q, k, v)
        } else {
            query = try weights.matrix(prefix + "attn_q.weight", rows: qDim, columns: embedding)
            key = try weights.matrix(prefix + "attn_k.weight", rows: kvDim, columns: embedding)
            value = try weights.matrix(prefix + "attn_v.weight", rows: kvDim, columns: embedding)
        }
        output = try weights.matrix(prefix + "attn_output.weight", rows: embedding, columns: qDim)
        queryBias = biases ? try weights.vector(prefix + "attn_q.bias", count: qDim) : nil
        keyBias = biases ? try weights.vector(prefix + "attn_k.bias", count: kvDim) : nil
        valueBias = biases ? try weights.vector(prefix + "attn_v.bias", count: kvDim) : nil
        queryNorm = qkNorm ? try weights.vector(prefix + "attn_q_norm.weight", count: headDim) : nil
        keyNorm = qkNorm ? try weights.vector(prefix + "attn_k_norm.weight", count: headDim) : nil
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
    }

    /// Where the 1/√headDim factor applies: to the scores (llama, qwen2: llama.cpp's kq_scale), or to the
    /// queries before attention (gemma3: llama.cpp scales Qcur first, which rounds differently once the
    /// attention kernel turns small queries into f16).
    public enum Scaling: Sendable {
        case scores(Float)
        case queries(Float)
    }

    /// Rotary embedding settings of one layer.
    public struct Rope: Sendable {
        public let base: Float
        public let style: RopeStyle
        /// Divisors of each rotary pair's angle (Llama 3's `rope_freqs.weight`, LongRoPE's short or long
        /// factors), one per rotary pair.
        public let frequencyFactors: [Float]?
        /// Dimensions rotated at the start of each head (nil: all of them; Phi-4-mini: 96 of 128).
        public let dimensions: Int?
        /// Multiplies cosines and sines (LongRoPE's attention factor).
        public let attentionFactor: Float

        public init(base: Float, style: RopeStyle, frequencyFactors: [Float]? = nil, dimensions: Int? = nil, attentionFactor: Float = 1) {
            self.base = base
            self.style = style
            self.frequencyFactors = frequencyFactors
            self.dimensions = dimensions
            self.attentionFactor = attentionFactor
        }
    }

    /// out = Wo · attention(normalized input xn) for `count` tokens placed by `placement`, storing K and V in the cache.
    /// A nil `rope` leaves queries and keys unrotated (SmolLM3's no-RoPE layers); `softcap` caps the scores
    /// (Gemma 2, see `causalAttention`; 0 = off).
    func callAsFunction(_ xn: UnsafePointer<Float>, count: Int, placement: TokenPlacement, layer: Int, rope: Rope?, scaling: Scaling,
                        softcap: Float = 0, window: Int?, normEpsilon: Float, state: ForwardState,
                        into out: UnsafeMutablePointer<Float>) {
        let qDim = headCount * headDim
        let kvDim = kvHeadCount * headDim
        let (q, k, v) = (state.q, state.k, state.v)
        WeightMatrix.multiply([(query, q), (key, k), (value, v)], xn, count: count, pool: state.pool, workspace: state.workspace,
                             rowwise: state.rowwiseArithmetic)
        if let queryBias { addBias(q, bias: queryBias, width: qDim, rows: count) }
        if let keyBias { addBias(k, bias: keyBias, width: kvDim, rows: count) }
        if let valueBias { addBias(v, bias: valueBias, width: kvDim, rows: count) }
        if let queryNorm { rmsNorm(q, weight: queryNorm, into: q, width: headDim, rows: count * headCount, epsilon: normEpsilon) }
        if let keyNorm { rmsNorm(k, weight: keyNorm, into: k, width: headDim, rows: count * kvHeadCount, epsilon: normEpsilon) }
        if let rope {
            rope.frequencyFactors.withOptionalPointer { factors in
                for t in 0..<count {
                    let position = placement.position(of: t)
                    applyRope(q + t * qDim, headCount: headCount, headDim: headDim, position: position, base: rope.base, style: rope.style,
                              frequencyFactors: factors, rotaryDimensions: rope.dimensions, attentionFactor: rope.attentionFactor)
                    applyRope(k + t * kvDim, headCount: kvHeadCount, headDim: headDim, position: position, base: rope.base,
                              style: rope.style, frequencyFactors: factors, rotaryDimensions: rope.dimensions,
                              attentionFactor: rope.attentionFactor)
                }
            }
        }
        var scoreScale: Float = 1
        switch scaling {
        case .scores(let factor): scoreScale = factor
        case .queries(let factor): scaleInPlace(q, by: factor, count: count * qDim)
        }
        switch placement {
        case .consecutive(let start):
            state.cache.store(layer: layer, position: start, count: count, keys: k, values: v)
            causalAttention(queries: q, count: count, start: start, keys: state.cache.keys(layer: layer),
                            values: state.cache.values(layer: layer), cacheCapacity: state.cache.capacity, headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim,
                            scale: scoreScale, softcap: softcap, window: window, arithmetic: state.attentionArithmetic,
                            eachTokenAlone: state.rowwiseArithmetic, into: state.attention, scratch: state.scores, pool: state.pool)
        case .sequences(let sequences):
            for (t, sequence) in sequences.enumerated() {
                sequence.cache.store(layer: layer, position: sequence.position, count: 1, keys: k + t * kvDim, values: v + t * kvDim)
            }
            sequenceAttention(queries: q, keys: sequences.map { UnsafePointer($0.cache.keys(layer: layer)) },
                              values: sequences.map { UnsafePointer($0.cache.values(layer: layer)) }, positions: sequences.map(\.position),
                              cacheCapacities: sequences.map(\.cache.capacity),
                              headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim, scale: scoreScale, softcap: softcap,
                              window: window, arithmetic: state.attentionArithmetic, into: state.attention, scratch: state.scores,
                              pool: state.pool)
        }
        output.multiply(state.attention, count: count, into: out, pool: state.pool, workspace: state.workspace,
                        rowwise: state.rowwiseArithmetic)
    }
}

/// A gated feed-forward network: down(act(gate · x) ⊙ (up · x)).
public struct FeedForwardBlock: Sendable {
    public let gate: WeightMatrix  // (hidden, embedding)
    public let up: WeightMatrix  // (hidden, embedding)
    public let down: WeightMatrix  // (embedding, hidden)
    public let activation: GatedActivation

    public init(weights: ModelWeights, layer: Int, shape: ModelShape, activation: GatedActivation) throws(GGUFError) {
        let (embedding, hidden) = (shape.embeddingSize, shape.feedForwardSize)
        let prefix = "blk.\(layer)."
        gate = try weights.matrix(prefix + "ffn_gate.weight", rows: hidden, columns: embedding)
        up = try weights.matrix(prefix + "ffn_up.weight", rows: hidden, columns: embedding)
        down = try weights.matrix(prefix + "ffn_down.weight", rows: embedding, columns: hidden)
        self.activation = activation
    }

    /// Phi-3's layout: no `ffn_gate`; `ffn_up.weight` holds the gate's rows, then the up projection's (ggml_swiglu
    /// of the fused product takes its first half as the gate), read in place as two row ranges.
    public init(weights: ModelWeights, fusedLayer layer: Int, shape: ModelShape, activation: GatedActivation) throws(GGUFError) {
        let (embedding, hidden) = (shape.embeddingSize, shape.feedForwardSize)
        let prefix = "blk.\(layer)."
        let name = prefix + "ffn_up.weight"
        let fused = try weights.matrix(name, rows: 2 * hidden, columns: embedding)
        guard let gate = fused.rows(0..<hidden), let up = fused.rows(hidden..<2 * hidden) else {
            throw GGUFError(path: weights.gguf.path, field: "tensor \(name)", problem: "its halves do not fall on the 8-row groups of its layout")
        }
        self.gate = gate
        self.up = up
        down = try weights.matrix(prefix + "ffn_down.weight", rows: embedding, columns: hidden)
        self.activation = activation
    }

    func callAsFunction(_ xn: UnsafePointer<Float>, count: Int, state: ForwardState, into out: UnsafeMutablePointer<Float>) {
        WeightMatrix.multiply([(gate, state.gate), (up, state.up)], xn, count: count, pool: state.pool, workspace: state.workspace,
                             rowwise: state.rowwiseArithmetic)
        gatedActivation(activation, gate: state.gate, up: state.up, count: count * gate.rows, pool: state.pool)
        down.multiply(state.gate, count: count, into: out, pool: state.pool, workspace: state.workspace,
                      rowwise: state.rowwiseArithmetic)
    }
}

/// Where a layer's attention and feed-forward network read and write (one layer's call, as the architecture sets it).
struct LayerCall {
    let count: Int
    let placement: TokenPlacement
    let layer: Int
    let rope: AttentionBlock.Rope?
    let scaling: AttentionBlock.Scaling
    var softcap: Float = 0
    var window: Int? = nil
    let epsilon: Float
}

/// The pre-norm block of Llama, Qwen and Phi-3: x += attention(norm(x)); x += feedForward(norm(x)).
struct PreNormLayer: Sendable {
    let attentionNorm: [Float]
    let attention: AttentionBlock
    let feedForwardNorm: [Float]
    let feedForward: FeedForwardBlock

    init(weights: ModelWeights, layer: Int, embedding: Int, attention: AttentionBlock, feedForward: FeedForwardBlock) throws(GGUFError) {
        attentionNorm = try weights.vector("blk.\(layer).attn_norm.weight", count: embedding)
        self.attention = attention
        feedForwardNorm = try weights.vector("blk.\(layer).ffn_norm.weight", count: embedding)
        self.feedForward = feedForward
    }

    func callAsFunction(_ state: ForwardState, _ call: LayerCall) {
        let (n, d) = (call.count, attentionNorm.count)
        rmsNorm(state.x, weight: attentionNorm, into: state.xn, width: d, rows: n, epsilon: call.epsilon)
        attention(state.xn, count: n, placement: call.placement, layer: call.layer, rope: call.rope, scaling: call.scaling,
                  softcap: call.softcap, window: call.window, normEpsilon: call.epsilon, state: state, into: state.projection)
        addInPlace(state.x, state.projection, count: n * d)
        rmsNorm(state.x, weight: feedForwardNorm, into: state.xn, width: d, rows: n, epsilon: call.epsilon)
        feedForward(state.xn, count: n, state: state, into: state.projection)
        addInPlace(state.x, state.projection, count: n * d)
    }
}

/// Gemma's block, normalized on both sides of each half: x += postNorm(attention(norm(x))); x += postNorm(feedForward(norm(x))).
struct SandwichLayer: Sendable {
    let attentionNorm: [Float]
    let attention: AttentionBlock
    let postAttentionNorm: [Float]
    let feedForwardNorm: [Float]
    let feedForward: FeedForwardBlock
    let postFeedForwardNorm: [Float]

    init(weights: ModelWeights, layer: Int, embedding: Int, attention: AttentionBlock, feedForward: FeedForwardBlock) throws(GGUFError) {
        let prefix = "blk.\(layer)."
        attentionNorm = try weights.vector(prefix + "attn_norm.weight", count: embedding)
        self.attention = attention
        postAttentionNorm = try weights.vector(prefix + "post_attention_norm.weight", count: embedding)
        feedForwardNorm = try weights.vector(prefix + "ffn_norm.weight", count: embedding)
        self.feedForward = feedForward
        postFeedForwardNorm = try weights.vector(prefix + "post_ffw_norm.weight", count: embedding)
    }

    func callAsFunction(_ state: ForwardState, _ call: LayerCall) {
        let (n, d) = (call.count, attentionNorm.count)
        rmsNorm(state.x, weight: attentionNorm, into: state.xn, width: d, rows: n, epsilon: call.epsilon)
        attention(state.xn, count: n, placement: call.placement, layer: call.layer, rope: call.rope, scaling: call.scaling,
                  softcap: call.softcap, window: call.window, normEpsilon: call.epsilon, state: state, into: state.projection)
        rmsNorm(state.projection, weight: postAttentionNorm, into: state.projection, width: d, rows: n, epsilon: call.epsilon)
        addInPlace(state.x, state.projection, count: n * d)
        rmsNorm(state.x, weight: feedForwardNorm, into: state.xn, width: d, rows: n, epsilon: call.epsilon)
        feedForward(state.xn, count: n, state: state, into: state.projection)
        rmsNorm(state.projection, weight: postFeedForwardNorm, into: state.projection, width: d, rows: n, epsilon: call.epsilon)
        addInPlace(state.x, state.projection, count: n * d)
    }
}

extension Optional where Wrapped == [Float] {
    /// `body` with a pointer to the array's elements, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let array = self else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
