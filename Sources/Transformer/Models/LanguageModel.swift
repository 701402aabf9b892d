import Tensor

/// The numbers every architecture shares, read from `<arch>.*` metadata.
public struct ModelShape: Sendable {
    public let architecture: String
    public let vocabularySize: Int
    /// The context length the model was trained for.
    public let contextLength: Int
    public let layerCount: Int
    public let embeddingSize: Int
    public let headCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    public let feedForwardSize: Int
    public let normEpsilon: Float

    public var kvDim: Int { kvHeadCount * headDim }
    public var queryDim: Int { headCount * headDim }

    /// Reads the common keys; `headDim` defaults to embedding / heads unless `attention.key_length` says otherwise.
    public init(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) {
        let arch = try gguf.string("general.architecture")
        architecture = arch
        self.vocabularySize = vocabularySize
        contextLength = try gguf.int("\(arch).context_length")
        layerCount = try gguf.int("\(arch).block_count")
        embeddingSize = try gguf.int("\(arch).embedding_length")
        headCount = try gguf.int("\(arch).attention.head_count")
        kvHeadCount = try gguf.optionalInt("\(arch).attention.head_count_kv") ?? headCount
        feedForwardSize = try gguf.int("\(arch).feed_forward_length")
        normEpsilon = Float(try gguf.float("\(arch).attention.layer_norm_rms_epsilon"))
        let derivedHeadDim = headCount > 0 ? embeddingSize / headCount : 0
        headDim = try gguf.optionalInt("\(arch).attention.key_length") ?? derivedHeadDim
        let limits: [(String, Int, ClosedRange<Int>)] = [
            ("context_length", contextLength, 1...(1 << 24)), ("block_count", layerCount, 1...1024),
            ("embedding_length", embeddingSize, 1...(1 << 16)), ("attention.head_count", headCount, 1...1024),
            ("feed_forward_length", feedForwardSize, 1...(1 << 20)), ("attention.key_length", headDim, 2...1024),
        ]
        for (key, value, range) in limits where !range.contains(value) {
            throw GGUFError(path: gguf.path, field: "\(arch).\(key)", problem: "\(value), expected \(range.lowerBound)...\(range.upperBound)")
        }
        // Every architecture here attends with values as wide as keys (llama.cpp asserts the same).
        if let valueDim = try gguf.optionalInt("\(arch).attention.value_length"), valueDim != headDim {
            throw GGUFError(path: gguf.path, field: "\(arch).attention.value_length", problem: "\(valueDim), expected the key length \(headDim)")
        }
        guard kvHeadCount >= 1, headCount % kvHeadCount == 0, headDim % 2 == 0 else {
            throw GGUFError(path: gguf.path, field: "\(arch).attention.head_count_kv",
                            problem: "\(kvHeadCount) with \(headCount) heads of \(headDim), expected a divisor of the head count and an even head size")
        }
    }
}

/// Which positions of a forward pass need logits.
public enum LogitRows: Sendable {
    case none
    case last
    case all
}

/// Where the tokens of one forward call sit, and so which cache holds their keys and values.
public enum TokenPlacement {
    /// At consecutive positions `start...` of the state's own cache: a prompt, a decoded token, a draft to verify.
    case consecutive(start: Int)
    /// Token t is the next token of sequence t, at `sequences[t].position` of its own cache: several sequences
    /// decoded in one call, which reads the weights once for all of them (`BatchDecoder`).
    case sequences([SequencePosition])

    /// The position of token `t`.
    func position(of t: Int) -> Int {
        switch self {
        case .consecutive(let start): start + t
        case .sequences(let sequences): sequences[t].position
        }
    }
}

/// One sequence's place in a batched forward call: its cache, and the position its next token takes.
public struct SequencePosition {
    public let cache: KVCache
    public let position: Int
}

/// A loaded model: immutable weights over the file's mapping. All state lives in `ForwardState`.
public protocol LanguageModel: AnyObject, Sendable {
    var shape: ModelShape { get }
    /// Runs `tokens` where `placement` puts them, storing their keys and values in the cache it names, and
    /// writes logits for the chosen rows to `state.logits` (row stride `shape.vocabularySize`).
    func forward(_ tokens: UnsafeBufferPointer<Int32>, placement: TokenPlacement, state: ForwardState, logits: LogitRows)
}

extension LanguageModel {
    /// Runs `tokens` at positions `start...` of the state's own cache.
    public func forward(_ tokens: UnsafeBufferPointer<Int32>, start: Int, state: ForwardState, logits: LogitRows) {
        forward(tokens, placement: .consecutive(start: start), state: state, logits: logits)
    }
}

/// The architectures this build runs, by their `general.architecture` name: the one registry. A new family
/// is one file in this folder and one line here.
let architectures: [String: @Sendable (GGUFFile, Int) throws(GGUFError) -> any LanguageModel] = [
    "llama": { gguf, vocabularySize throws(GGUFError) in try Llama(gguf: gguf, vocabularySize: vocabularySize) },
    "qwen2": { gguf, vocabularySize throws(GGUFError) in try Qwen2.load(gguf: gguf, vocabularySize: vocabularySize) },
    "gemma2": { gguf, vocabularySize throws(GGUFError) in try Gemma2(gguf: gguf, vocabularySize: vocabularySize) },
    "gemma3": { gguf, vocabularySize throws(GGUFError) in try Gemma3(gguf: gguf, vocabularySize: vocabularySize) },
    "phi3": { gguf, vocabularySize throws(GGUFError) in try Phi3(gguf: gguf, vocabularySize: vocabularySize) },
    "qwen3": { gguf, vocabularySize throws(GGUFError) in try Qwen3.load(gguf: gguf, vocabularySize: vocabularySize) },
    "smollm3": { gguf, vocabularySize throws(GGUFError) in try SmolLM3.load(gguf: gguf, vocabularySize: vocabularySize) },
]

/// The names of the architectures this build runs.
public let supportedArchitectures = architectures.keys.sorted()

/// The file's `general.architecture`, refused unless this build runs it.
func supportedArchitecture(of gguf: GGUFFile) throws(GGUFError) -> String {
    let architecture = try gguf.string("general.architecture")
    guard architectures[architecture] != nil else {
        throw GGUFError(path: gguf.path, field: "general.architecture",
                        problem: "\"\(architecture)\" is not supported, expected one of \(supportedArchitectures.joined(separator: ", "))")
    }
    return architecture
}

/// Builds the model for the file's `general.architecture`.
public func loadModel(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) -> any LanguageModel {
    let architecture = try supportedArchitecture(of: gguf)
    return try architectures[architecture]!(gguf, vocabularySize)
}

/// The token embedding table and the output head (final norm, then the vocabulary projection, which
/// is the embedding table itself when the file has no `output.weight`).
struct EmbeddingAndHead: Sendable {
    let embedding: WeightMatrix  // (vocabulary, embedding)
    let outputNorm: [Float]
    let output: WeightMatrix  // (vocabulary, embedding)

    /// `alwaysTied`: the architecture has no output matrix of its own (Gemma 2), so an `output.weight` is left
    /// unread, and the file refused.
    init(weights: ModelWeights, shape: ModelShape, alwaysTied: Bool = false) throws(GGUFError) {
        embedding = try weights.matrix("token_embd.weight", rows: shape.vocabularySize, columns: shape.embeddingSize)
        outputNorm = try weights.vector("output_norm.weight", count: shape.embeddingSize)
        output = !alwaysTied && weights.has("output.weight")
            ? try weights.matrix("output.weight", rows: shape.vocabularySize, columns: shape.embeddingSize) : embedding
    }

    /// x[t] = embedding row of tokens[t] · scale.
    func embed(_ tokens: UnsafeBufferPointer<Int32>, into x: UnsafeMutablePointer<Float>, scale: Float = 1) {
        let width = embedding.columns
        for (t, token) in tokens.enumerated() {
            embedding.dequantizeRow(Int(token), into: x + t * width)
            if scale != 1 { scaleInPlace(x + t * width, by: scale, count: width) }
        }
    }

    /// Final norm and vocabulary projection of the chosen rows of x (count rows) into state.logits.
    func logits(_ x: UnsafePointer<Float>, count: Int, rows: LogitRows, epsilon: Float, state: ForwardState) {
        let width = embedding.columns
        let (first, n): (Int, Int)
        switch rows {
        case .none: return
        case .last: (first, n) = (count - 1, 1)
        case .all: (first, n) = (0, count)
        }
        precondition(n <= state.logitCapacity, "asked for \(n) rows of logits, the state holds \(state.logitCapacity)")
        rmsNorm(x + first * width, weight: outputNorm, into: state.xn, width: width, rows: n, epsilon: epsilon)
        output.multiply(state.xn, count: n, into: state.logits, pool: state.pool, workspace: state.workspace,
                        rowwise: state.rowwiseArithmetic)
    }
}
