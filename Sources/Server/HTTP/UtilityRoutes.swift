import Foundation
import Hummingbird
import Transformer

/// `/health`, `/v1/models`, `/metrics`, `/tokenize` and `/detokenize` (the last two as llama.cpp's server has them).
extension Routes {
    /// 200 `{"status": "ok"}` only while the model is loaded and the server is not draining: a readiness probe.
    func health(_ request: Request, context: ServerRequestContext) async throws -> Response {
        if lifecycle.isDraining { return try jsonResponse(["status": "draining"], status: .serviceUnavailable) }
        do throws(APIError) {
            _ = try host.model()
        } catch {
            return error.status == 503 ? try jsonResponse(["status": "loading"], status: .serviceUnavailable) : error.response
        }
        return try jsonResponse(["status": "ok"])
    }

    func models(_ request: Request, context: ServerRequestContext) async throws -> Response {
        try jsonResponse(ModelList(data: [.init(id: configuration.modelID, created: startTime)]))
    }

    /// `GET /v1/models/{id}`: the served model, or 404.
    func modelDetails(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard id == configuration.modelID else { throw APIError.modelNotFound(id, served: configuration.modelID) }
        return try jsonResponse(ModelList.Model(id: id, created: startTime))
    }

    func prometheusMetrics(_ request: Request, context: ServerRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text)))
    }

    struct TokenizeRequest: Decodable {
        let content: String
        let addSpecial: Bool?
        let parseSpecial: Bool?
        enum CodingKeys: String, CodingKey { case content, addSpecial = "add_special", parseSpecial = "parse_special" }
    }

    /// `{"content": text, "add_special": false, "parse_special": true}` → `{"tokens": [ids]}`.
    func tokenize(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let body = try JSONCoding.decodeRequest(TokenizeRequest.self, from: try await readBody(request))
        let runtime = try host.model().runtime
        let tokens = runtime.tokenize(body.content, addBOS: body.addSpecial ?? false, parseSpecial: body.parseSpecial ?? true)
        return try jsonResponse(["tokens": tokens])
    }

    struct DetokenizeRequest: Decodable {
        let tokens: [Int32]
        enum CodingKeys: String, CodingKey { case tokens }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard let tokens = try container.decodeIfPresent([Int32].self, forKey: .tokens, expecting: "an array of token ids") else {
                throw DecodingError.keyNotFound(CodingKeys.tokens, .init(codingPath: [], debugDescription: "no tokens"))
            }
            self.tokens = tokens
        }
    }

    /// `{"tokens": [ids]}` → `{"content": text}`.
    func detokenize(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let body = try JSONCoding.decodeRequest(DetokenizeRequest.self, from: try await readBody(request))
        let tokenizer = try host.model().runtime.tokenizer
        if let bad = body.tokens.first(where: { $0 < 0 || Int($0) >= tokenizer.vocabularySize }) {
            throw APIError.invalidRequest("Token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabularySize)).", param: "tokens", code: "invalid_value")
        }
        return try jsonResponse(["content": tokenizer.decode(body.tokens)])
    }
}
