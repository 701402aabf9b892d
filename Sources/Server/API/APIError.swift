import Foundation

/// An error as OpenAI's API reports it: an HTTP status and `{"error": {"message", "type", "param", "code"}}`.
/// Every failure a client can cause ends as one of these; nothing a request contains can crash the server.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    /// OpenAI's error class: `invalid_request_error`, `authentication_error`, `not_found_error`, ...
    public var type: String
    /// The request field at fault, when there is one.
    public var param: String?
    public var code: String?
    /// Seconds after which a retry may succeed (503).
    public var retryAfter: Int?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status) \(type): \(message)" }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func contextLengthExceeded(promptTokens: Int, contextSize: Int, param: String) -> APIError {
        .invalidRequest("This model's maximum context length is \(contextSize) tokens. However, your prompt is \(promptTokens) tokens, "
                        + "which leaves no room for a completion. Please shorten the prompt or start the server with a larger -c.",
                        param: param, code: "context_length_exceeded")
    }

    public static func modelNotFound(_ model: String, served: String) -> APIError {
        APIError(status: 404, message: "The model '\(model)' does not exist; this server serves '\(served)'.",
                 type: "not_found_error", param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(status: 401, message: "Incorrect or missing API key: send it as 'Authorization: Bearer KEY'.",
                                       type: "authentication_error", code: "invalid_api_key")

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: 413, message: "The request body is larger than the server's limit of \(limit) bytes.",
                 type: "invalid_request_error", code: "request_too_large")
    }

    static func busy(_ message: String) -> APIError {
        APIError(status: 503, message: message, type: "server_error", code: "server_busy", retryAfter: 1)
    }

    /// A request that arrives while the server drains: nothing was done, so another replica may take it.
    static let shuttingDown = APIError(status: 503, message: "The server is shutting down; retry on another replica.",
                                       type: "server_error", code: "server_shutting_down", retryAfter: 1)

    /// What a stream cut short by the end of the drain time ends with (its status, 200, is already sent).
    static let stoppedByShutdown = APIError(status: 503, message: "The server shut down before this answer was complete (its drain time ran out).",
                                            type: "server_error", code: "server_shutting_down", retryAfter: 1)

    static let loading = APIError(status: 503, message: "The model is still loading; retry shortly.",
                                  type: "server_error", code: "model_loading", retryAfter: 1)

    static func notFound(path: String) -> APIError {
        APIError(status: 404, message: "No endpoint \(path).", type: "not_found_error", code: "unknown_url")
    }

    static func methodNotAllowed(_ method: String, path: String, allowed: [String]) -> APIError {
        APIError(status: 405, message: "\(path) does not take \(method); use \(allowed.joined(separator: " or ")).",
                 type: "invalid_request_error", code: "method_not_allowed")
    }

    static func internalError(_ message: String) -> APIError {
        APIError(status: 500, message: message, type: "server_error")
    }

    /// The body, OpenAI's shape.
    var body: ErrorBody { ErrorBody(error: .init(message: message, type: type, param: param, code: code)) }

    public var jsonBody: Data {
        (try? JSONCoding.encoder.encode(body)) ?? Data(#"{"error":{"message":"error","type":"server_error","param":null,"code":null}}"#.utf8)
    }
}

/// `{"error": {"message", "type", "param", "code"}}`, with explicit nulls. Also sent as an event when a
/// stream fails after it started (its status, 200, is already sent); OpenAI's clients raise it.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        let message: String
        let type: String
        let param: String?
        let code: String?

        enum CodingKeys: String, CodingKey { case message, type, param, code }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }
    }

    let error: Detail
}

/// The one JSON configuration of the server: sorted keys (stable output for tests and logs), slashes unescaped.
enum JSONCoding {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Decodes a request body, turning every decoding failure into a 400 that names the field.
    static func decodeRequest<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        guard !data.isEmpty else { throw .invalidRequest("The request body is empty; send a JSON object.") }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw apiError(for: error)
        } catch {
            throw .invalidRequest("The request body is not valid JSON.")
        }
    }

    static func apiError(for error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String? {
            guard !codingPath.isEmpty else { return nil }
            // messages[0].content, as OpenAI names fields in its errors.
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return String(joined.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key]) ?? key.stringValue
            return .invalidRequest("Missing required parameter: '\(field)'.", param: field, code: "missing_required_parameter")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return .invalidRequest("Invalid type for '\(field ?? "body")': \(context.debugDescription)", param: field, code: "invalid_type")
        case .dataCorrupted(let context):
            guard let field = path(context.codingPath) else { return .invalidRequest("The request body is not valid JSON.") }
            return .invalidRequest("Invalid value for '\(field)': \(context.debugDescription)", param: field, code: "invalid_value")
        @unknown default:
            return .invalidRequest("The request body could not be decoded.")
        }
    }
}

extension KeyedDecodingContainer {
    /// `decodeIfPresent`, naming the field when a JSON number in it does not fit the type (1.5 or 1e20 for
    /// an Int, a token id past Int32, 1e999): JSONDecoder throws its own internal error there, which
    /// reaches the caller as "not valid JSON" without a field.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key, expecting expected: String) throws -> T? {
        do {
            return try decodeIfPresent(type, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected \(expected)")
        }
    }
}
