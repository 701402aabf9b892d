import Foundation
import Transformer

/// `POST /v1/chat/completions`, as sent. Unknown fields are ignored, as OpenAI-compatible servers do.
public struct ChatCompletionRequest: Decodable, Sendable {
    public var messages: [ChatMessage]
    public var fields: GenerationFields

    enum CodingKeys: String, CodingKey { case messages }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messages = try container.decode([RequestMessage].self, forKey: .messages).map(\.message)
        fields = try GenerationFields(from: decoder)
    }

    /// Decodes and checks a request body; every failure is a 400 naming the field.
    public static func decode(_ body: Data) throws(APIError) -> ChatCompletionRequest {
        let request = try JSONCoding.decodeRequest(ChatCompletionRequest.self, from: body)
        guard !request.messages.isEmpty else {
            throw .invalidRequest("'messages' must contain at least one message.", param: "messages", code: "invalid_value")
        }
        return request
    }
}

/// One message as OpenAI clients send it: `content` is a string, an array of text parts, or null (an
/// assistant turn that only called tools). `developer` is OpenAI's newer name for `system`.
struct RequestMessage: Decodable {
    let message: ChatMessage

    enum CodingKeys: String, CodingKey { case role, content }

    struct Part: Decodable {
        let type: String
        let text: String?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let roleName = try container.decode(String.self, forKey: .role)
        let role: ChatMessage.Role
        switch roleName {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        default:
            throw DecodingError.dataCorruptedError(forKey: .role, in: container,
                                                   debugDescription: "role '\(roleName)' is not supported; use system, developer, user or assistant")
        }
        let content: String
        if let text = try? container.decode(String.self, forKey: .content) {
            content = text
        } else if try container.decodeNil(forKey: .content) {
            content = ""
        } else {
            let parts = try container.decode([Part].self, forKey: .content)
            guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                throw DecodingError.dataCorruptedError(forKey: .content, in: container,
                                                       debugDescription: "only text content parts are supported")
            }
            content = parts.compactMap(\.text).joined(separator: "\n")
        }
        message = ChatMessage(role: role, content: content)
    }
}
