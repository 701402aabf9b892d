import Foundation
import Transformer

/// The sampling and streaming fields that chat completions and completions share, as sent.
/// `validated` checks their ranges and fills in the defaults.
public struct GenerationFields: Decodable, Sendable, Equatable {
    public var model: String?
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    /// llama.cpp's extensions, accepted because tools written for llama.cpp's server send them.
    public var topK: Int?
    public var minP: Double?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var seed: Int64?
    public var stop: [String] = []
    public var stream = false
    public var includeUsage = false
    public var choiceCount: Int?

    enum CodingKeys: String, CodingKey {
        case model, temperature, seed, stop, stream, n
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p", topK = "top_k", minP = "min_p"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case streamOptions = "stream_options"
    }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        let (integer, number) = ("an integer that fits in 64 bits", "a number")
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens, expecting: integer)
            ?? container.decodeIfPresent(Int.self, forKey: .maxTokens, expecting: integer)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature, expecting: number)
        topP = try container.decodeIfPresent(Double.self, forKey: .topP, expecting: number)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK, expecting: integer)
        minP = try container.decodeIfPresent(Double.self, forKey: .minP, expecting: number)
        presencePenalty = try container.decodeIfPresent(Double.self, forKey: .presencePenalty, expecting: number)
        frequencyPenalty = try container.decodeIfPresent(Double.self, forKey: .frequencyPenalty, expecting: number)
        seed = try container.decodeIfPresent(Int64.self, forKey: .seed, expecting: integer)
        // `stop` is a string or an array of strings.
        if let single = try? container.decodeIfPresent(String.self, forKey: .stop) {
            stop = [single]
        } else {
            stop = try container.decodeIfPresent([String].self, forKey: .stop) ?? []
        }
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        includeUsage = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)?.includeUsage ?? false
        choiceCount = try container.decodeIfPresent(Int.self, forKey: .n, expecting: integer)
    }

    /// At most this many stop strings, as OpenAI allows.
    static let maxStopStrings = 4

    /// The checked settings. `defaultMaxTokens` applies when the request names none; `contextSize` bounds `max_tokens`.
    public func validated(defaultMaxTokens: Int, contextSize: Int) throws(APIError) -> GenerationSettings {
        if let choiceCount, choiceCount != 1 {
            throw .invalidRequest("Only n=1 is supported.", param: "n", code: "unsupported_value")
        }
        if let maxTokens, !(1...contextSize).contains(maxTokens) {
            throw .invalidRequest("max_tokens must be between 1 and the context size, \(contextSize) (got \(maxTokens)).",
                                  param: "max_tokens", code: "invalid_value")
        }
        var sampling = SamplingParameters()
        // Unset fields take llama.cpp server's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05),
        // which small models need more than OpenAI's temperature 1 with no truncation.
        sampling.temperature = Float(try Self.check(temperature ?? 0.8, in: 0...2, name: "temperature"))
        sampling.topP = Float(try Self.check(topP ?? 0.95, in: 0...1, name: "top_p"))
        sampling.minP = Float(try Self.check(minP ?? 0.05, in: 0...1, name: "min_p"))
        sampling.presencePenalty = Float(try Self.check(presencePenalty ?? 0, in: -2...2, name: "presence_penalty"))
        sampling.frequencyPenalty = Float(try Self.check(frequencyPenalty ?? 0, in: -2...2, name: "frequency_penalty"))
        if let topK {
            guard topK >= 0 else { throw .invalidRequest("top_k must be 0 or more (got \(topK)).", param: "top_k", code: "invalid_value") }
            sampling.topK = topK
        }
        // Without a seed every request samples differently, as with OpenAI.
        sampling.seed = seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: .min ... .max)
        guard stop.count <= Self.maxStopStrings else {
            throw .invalidRequest("At most \(Self.maxStopStrings) stop sequences are allowed (got \(stop.count)).", param: "stop", code: "invalid_value")
        }
        return GenerationSettings(maxTokens: maxTokens ?? defaultMaxTokens, sampling: sampling, stop: stop.filter { !$0.isEmpty },
                                  stream: stream, includeUsage: includeUsage)
    }

    private static func check(_ value: Double, in range: ClosedRange<Double>, name: String) throws(APIError) -> Double {
        guard value.isFinite, range.contains(value) else {
            throw .invalidRequest("\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value)).", param: name, code: "invalid_value")
        }
        return value
    }
}

/// Generation settings after validation.
public struct GenerationSettings: Sendable, Equatable {
    public var maxTokens: Int
    public var sampling: SamplingParameters
    public var stop: [String]
    public var stream: Bool
    public var includeUsage: Bool
}
