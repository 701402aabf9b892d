import Foundation

/// `POST /v1/completions`, as sent: a prompt to continue, without a chat template.
public struct CompletionRequest: Decodable, Sendable {
    public enum Prompt: Sendable, Equatable {
        case text(String)
        /// Token ids, which OpenAI's API also accepts.
        case tokens([Int32])
    }

    public var prompt: Prompt
    public var fields: GenerationFields

    /// OpenAI's default for completions (chat completions default to the rest of the context).
    public static let defaultMaxTokens = 16

    enum CodingKeys: String, CodingKey { case prompt }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // A string, a one-string array, or an array of token ids. Several prompts at once are not supported.
        if let text = try? container.decode(String.self, forKey: .prompt) {
            prompt = .text(text)
        } else if let texts = try? container.decode([String].self, forKey: .prompt) {
            guard texts.count == 1 else {
                throw DecodingError.dataCorruptedError(forKey: .prompt, in: container, debugDescription: "exactly one prompt is supported")
            }
            prompt = .text(texts[0])
        } else {
            guard let ids = try container.decodeIfPresent([Int32].self, forKey: .prompt,
                                                          expecting: "a string, an array of one string, or an array of 32-bit token ids") else {
                throw DecodingError.keyNotFound(CodingKeys.prompt, .init(codingPath: container.codingPath, debugDescription: "no prompt"))
            }
            prompt = .tokens(ids)
        }
        fields = try GenerationFields(from: decoder)
    }

    public static func decode(_ body: Data) throws(APIError) -> CompletionRequest {
        try JSONCoding.decodeRequest(CompletionRequest.self, from: body)
    }
}
