import Tensor

/// A summary of a GGUF model for `llmrun info`: hyperparameters, tokenizer, tensor statistics.
public struct ModelInfo: Sendable, Encodable {
    public let path: String
    public let fileSize: Int
    public let ggufVersion: Int
    public let architecture: String
    public let name: String?
    public let parameters: Int
    public let contextLength: Int
    public let layers: Int
    public let heads: Int
    public let kvHeads: Int
    public let embeddingSize: Int
    public let feedForwardSize: Int?
    /// `attention.key_length`, or embedding / heads.
    public let headSize: Int
    /// `rope.freq_base` (nil: the architecture's default).
    public let ropeBase: Double?
    public let normEpsilon: Double?
    /// `attention.sliding_window` (Gemma; Gemma 2's default 4096 when the key is absent).
    public let slidingWindow: Int?
    /// Gemma 2's soft-capping of attention scores and of logits, c of c·tanh(x / c) (its defaults 50 and 30
    /// when the keys are absent).
    public let attentionLogitSoftcap: Double?
    public let finalLogitSoftcap: Double?
    /// `rope.dimension_count` when it rotates only part of each head (Phi-4-mini).
    public let rotaryDimensions: Int?
    /// LongRoPE (Phi-3.5, Phi-4-mini): `rope.scaling.attn_factor` and `rope.scaling.original_context_length`.
    public let ropeAttentionFactor: Double?
    public let ropeOriginalContext: Int?
    /// What the architecture adds to the Llama decoder, and what the file adds (Llama 3's `rope_freqs`).
    public let traits: [String]
    public let vocabularySize: Int
    public let tokenizerModel: String?
    public let tokenizerPre: String?
    /// Special token role (`bos`, `eos`, ...) → id and text.
    public let specialTokens: [String: SpecialToken]
    public let hasChatTemplate: Bool
    public let tensorCount: Int
    /// ggml type name → number of tensors of that type, and their bytes.
    public let tensorTypes: [String: Int]
    public let tensorTypeBytes: [String: Int]

    public struct SpecialToken: Sendable, Encodable {
        public let id: Int
        public let text: String?
    }

    /// Reads the summary; throws for an unsupported architecture or missing hyperparameters.
    public init(gguf: GGUFFile) throws(GGUFError) {
        let architecture = try supportedArchitecture(of: gguf)
        self.architecture = architecture
        path = gguf.path
        fileSize = gguf.fileSize
        ggufVersion = Int(gguf.version)
        name = try gguf.optionalString("general.name")
        contextLength = try gguf.int("\(architecture).context_length")
        layers = try gguf.int("\(architecture).block_count")
        heads = try gguf.int("\(architecture).attention.head_count")
        kvHeads = try gguf.optionalInt("\(architecture).attention.head_count_kv") ?? heads
        embeddingSize = try gguf.int("\(architecture).embedding_length")
        feedForwardSize = try gguf.optionalInt("\(architecture).feed_forward_length")
        headSize = try gguf.optionalInt("\(architecture).attention.key_length") ?? (heads > 0 ? embeddingSize / heads : 0)
        ropeBase = try gguf.optionalFloat("\(architecture).rope.freq_base")
        normEpsilon = try gguf.optionalFloat("\(architecture).attention.layer_norm_rms_epsilon")
        let gemma2 = architecture == "gemma2"
        // llama.cpp ignores phi3's window (its Phi SWA is disabled), and so does llmrun: not shown.
        slidingWindow = architecture == "phi3" ? nil : try gguf.optionalInt("\(architecture).attention.sliding_window") ?? (gemma2 ? 4096 : nil)
        attentionLogitSoftcap = try gguf.optionalFloat("\(architecture).attn_logit_softcapping") ?? (gemma2 ? 50 : nil)
        finalLogitSoftcap = try gguf.optionalFloat("\(architecture).final_logit_softcapping") ?? (gemma2 ? 30 : nil)
        let ropeDimensions = try gguf.optionalInt("\(architecture).rope.dimension_count")
        rotaryDimensions = ropeDimensions.flatMap { [headSize] in $0 < headSize ? $0 : nil }
        ropeAttentionFactor = try gguf.optionalFloat("\(architecture).rope.scaling.attn_factor")
        ropeOriginalContext = try gguf.optionalInt("\(architecture).rope.scaling.original_context_length")
        var traits = Self.architectureTraits[architecture] ?? []
        if gguf.tensor(named: "rope_freqs.weight") != nil { traits.append("Llama 3 RoPE frequency factors (rope_freqs)") }
        if gguf.tensor(named: "rope_factors_short.weight") != nil || gguf.tensor(named: "rope_factors_long.weight") != nil {
            traits.append("LongRoPE short/long factors (rope_factors_short, rope_factors_long)")
        }
        if gguf.tensor(named: "blk.0.attn_qkv.weight") != nil { traits.append("fused q/k/v (attn_qkv)") }
        traits.append(gguf.tensor(named: "output.weight") == nil ? "output tied to the embedding" : "own output matrix")
        self.traits = traits
        tokenizerModel = try gguf.optionalString("tokenizer.ggml.model")
        tokenizerPre = try gguf.optionalString("tokenizer.ggml.pre")
        let tokens = gguf.metadata["tokenizer.ggml.tokens"]?.array
        vocabularySize = tokens?.count ?? 0
        var special: [String: SpecialToken] = [:]
        for role in ["bos", "eos", "eot", "eom", "unknown", "padding", "sep", "mask"] {
            if let id = try gguf.optionalInt("tokenizer.ggml.\(role)_token_id") {
                let text = tokens.flatMap { $0.indices.contains(id) ? $0[id].string : nil }
                special[role] = SpecialToken(id: id, text: text)
            }
        }
        specialTokens = special
        hasChatTemplate = gguf.metadata["tokenizer.chat_template"]?.string != nil
        tensorCount = gguf.tensors.count
        var counts: [String: Int] = [:]
        var bytes: [String: Int] = [:]
        var parameters = 0
        for tensor in gguf.tensors {
            counts[tensor.type.name, default: 0] += 1
            bytes[tensor.type.name, default: 0] += tensor.byteCount
            parameters += tensor.elementCount
        }
        tensorTypes = counts
        tensorTypeBytes = bytes
        self.parameters = parameters
    }

    /// Each architecture's departures from the Llama decoder (see its file in Models/).
    static let architectureTraits: [String: [String]] = [
        "llama": [],
        "qwen2": ["NeoX RoPE", "q/k/v biases"],
        "phi3": ["NeoX RoPE", "fused gate/up (ffn_up)"],
        "qwen3": ["NeoX RoPE", "per-head q/k RMSNorm"],
        "smollm3": ["no RoPE on every 4th layer"],
        "gemma2": ["NeoX RoPE", "GeGLU", "post-norms", "embedding × √d", "attention and logit soft-capping",
                   "sliding window on even layers"],
        "gemma3": ["NeoX RoPE", "per-head q/k RMSNorm", "GeGLU", "post-norms", "embedding × √d",
                   "sliding window on 5 of 6 layers (RoPE base 10000 there)"],
    ]
}
