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
}
