import Foundation
import Transformer

// The response bodies of the OpenAI API, as its official clients parse them. Optional fields that
// OpenAI sends as null are encoded as null, not left out (`NullWhenAbsent`).

/// An optional field encoded as `null` when absent, where synthesized `Encodable` would leave it out.
@propertyWrapper
struct NullWhenAbsent<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

public struct Usage: Encodable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens whose KV cache was reused from the slot's previous request.
    public var cachedTokens: Int

    public init(_ stats: GenerationStats) {
        promptTokens = stats.promptTokens
        completionTokens = stats.generatedTokens
        cachedTokens = stats.promptTokens - stats.evaluatedPromptTokens
    }

    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
    }

    struct Details: Encodable { let cached_tokens: Int }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case details = "prompt_tokens_details"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(promptTokens + completionTokens, forKey: .totalTokens)
        try container.encode(Details(cached_tokens: cachedTokens), forKey: .details)
    }
}

/// Speed of a generation, as llama.cpp's server reports it (`timings`): prompt tokens evaluated (those
/// taken from the cache excluded) and generated tokens, their milliseconds and tokens per second.
public struct Timings: Encodable, Sendable, Equatable {
    public var promptTokens = 0
    public var promptSeconds: Double = 0
    public var generatedTokens = 0
    public var generationSeconds: Double = 0

    public init() {}

    public init(_ stats: GenerationStats) {
        add(stats)
    }

    /// Adds one more generation (a step of a summary).
    public mutating func add(_ stats: GenerationStats) {
        promptTokens += stats.evaluatedPromptTokens
        promptSeconds += stats.promptSeconds
        generatedTokens += stats.generatedTokens
        generationSeconds += stats.generationSeconds
    }

    enum CodingKeys: String, CodingKey {
        case promptN = "prompt_n", promptMS = "prompt_ms", promptPerSecond = "prompt_per_second"
        case predictedN = "predicted_n", predictedMS = "predicted_ms", predictedPerSecond = "predicted_per_second"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptN)
        try container.encode(promptSeconds * 1000, forKey: .promptMS)
        try container.encode(promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0, forKey: .promptPerSecond)
        try container.encode(generatedTokens, forKey: .predictedN)
        try container.encode(generationSeconds * 1000, forKey: .predictedMS)
        try container.encode(generationSeconds > 0 ? Double(generatedTokens) / generationSeconds : 0, forKey: .predictedPerSecond)
    }
}

/// OpenAI's `finish_reason`: "stop" for an end-of-turn token or a stop string, "length" when the token
/// budget, the context or the request's time ran out.
func openAIFinishReason(_ reason: FinishReason) -> String {
    switch reason {
    case .endOfGeneration, .stopString, .repetition: "stop"
    case .length, .contextFull, .cancelled: "length"
    }
}

/// The fields every completion object starts with.
struct CompletionIdentity: Sendable {
    let id: String
    let created: Int
    let model: String

    init(prefix: String, model: String) {
        id = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        created = Int(Date().timeIntervalSince1970)
        self.model = model
    }
}

struct ChatCompletion: Encodable {
    struct Message: Encodable {
        let role = "assistant"
        let content: String
    }

    struct Choice: Encodable {
        let index = 0
        let message: Message
        let finishReason: String
        @NullWhenAbsent var logprobs: Never? = nil

        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason", logprobs }
    }

    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage
    /// Not in OpenAI's API: llama.cpp's server's speed report.
    let timings: Timings

    init(_ identity: CompletionIdentity, text: String, stats: GenerationStats) {
        id = identity.id
        created = identity.created
        model = identity.model
        choices = [Choice(message: Message(content: text), finishReason: openAIFinishReason(stats.finishReason))]
        usage = Usage(stats)
        timings = Timings(stats)
    }
}

/// One server-sent event of a streamed chat completion.
struct ChatCompletionChunk: Encodable {
    struct Delta: Encodable {
        var role: String?
        var content: String?
    }

    struct Choice: Encodable {
        let index = 0
        let delta: Delta
        @NullWhenAbsent var finishReason: String?
        @NullWhenAbsent var logprobs: Never? = nil

        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason", logprobs }
    }

    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [Choice]
    @NullWhenAbsent var usage: Usage?
    /// On the chunk with the finish reason only, as llama.cpp's server sends it.
    let timings: Timings?

    init(_ identity: CompletionIdentity, delta: Delta? = nil, finishReason: String? = nil, usage: Usage? = nil, timings: Timings? = nil) {
        id = identity.id
        created = identity.created
        model = identity.model
        // The usage chunk of `stream_options.include_usage` has no choices.
        choices = delta.map { [Choice(delta: $0, finishReason: finishReason)] } ?? []
        self.usage = usage
        self.timings = timings
    }
}

/// A completion (`/v1/completions`), whole or as one streamed chunk: the same object either way.
struct TextCompletion: Encodable {
    struct Choice: Encodable {
        let index = 0
        let text: String
        @NullWhenAbsent var finishReason: String?
        @NullWhenAbsent var logprobs: Never? = nil

        enum CodingKeys: String, CodingKey { case index, text, finishReason = "finish_reason", logprobs }
    }

    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let choices: [Choice]
    @NullWhenAbsent var usage: Usage?

    init(_ identity: CompletionIdentity, text: String?, finishReason: String?, usage: Usage?) {
        id = identity.id
        created = identity.created
        model = identity.model
        choices = text.map { [Choice(text: $0, finishReason: finishReason)] } ?? []
        self.usage = usage
    }
}

struct ModelList: Encodable {
    struct Model: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let owned_by = "llmrun"
    }

    let object = "list"
    let data: [Model]
}
