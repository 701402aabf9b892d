import Foundation
import Hummingbird
import Logging
import Transformer

/// The server's endpoints and what they share: the model host, the limits, the metrics.
struct Routes: Sendable {
    let configuration: ServeConfiguration
    let host: ModelHost
    let metrics: ServerMetrics
    /// Unix time the server started, the `created` of the model in /v1/models.
    let startTime: Int

    func makeRouter(logger: Logger) -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        // Middleware applies to the routes added after it, and to unknown paths.
        router.add(middleware: AccessLogMiddleware(logger: logger, metrics: metrics))
        router.add(middleware: OpenAIErrorMiddleware(logger: logger))
        if let apiKey = configuration.apiKey { router.add(middleware: APIKeyMiddleware(apiKey: apiKey)) }

        router.post("/v1/chat/completions", use: chatCompletions)
        router.post("/v1/completions", use: completions)
        router.post("/v1/summarize", use: summarize)
        router.get("/v1/models", use: models)
        router.get("/v1/models/{id}", use: modelDetails)
        router.get("/health", use: health)
        router.get("/metrics", use: prometheusMetrics)
        router.post("/tokenize", use: tokenize)
        for path in Self.webFiles.keys { router.get(RouterPath(path), use: webFile) }
        router.post("/detokenize", use: detokenize)
        return router
    }

    // MARK: - Shared steps

    /// The request body, at most `maxBodyBytes` (413 beyond, before reading it when Content-Length says so).
    func readBody(_ request: Request) async throws -> Data {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { throw APIError.bodyTooLarge(limit: limit) }
        do {
            return Data(buffer: try await request.body.collect(upTo: limit))
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: limit)
        }
    }

    /// The loaded model, checking the request's `model` (absent: the served one, as llama.cpp's server does).
    func model(named name: String?) throws(APIError) -> LoadedModel {
        let model = try host.model()
        if let name, name != model.id { throw .modelNotFound(name, served: model.id) }
        return model
    }

    /// From arrival to the last token, queueing included.
    func deadline(from arrival: ContinuousClock.Instant) -> ContinuousClock.Instant { arrival + configuration.requestTimeout }
}
