import Foundation
import Hummingbird
import Logging
import Transformer

/// The server's endpoints and what they share: the model host, the limits, the metrics.
struct Routes: Sendable {
    let configuration: ServeConfiguration
    let host: ModelHost
    let metrics: ServerMetrics
    /// Serving or draining (SIGTERM).
    let lifecycle: ServerLifecycle
    /// Unix time the server started, the `created` of the model in /v1/models.
    let startTime: Int

    func makeRouter(logger: Logger) -> Router<ServerRequestContext> {
        typealias Handler = @Sendable (Request, ServerRequestContext) async throws -> Response
        let endpoints: [(method: HTTPRequest.Method, path: String, handler: Handler)] = [
            (.post, "/v1/chat/completions", chatCompletions),
            (.post, "/v1/completions", completions),
            (.post, "/v1/summarize", summarize),
            (.post, "/v1/ask", ask),
            (.get, "/v1/models", models),
            (.get, "/v1/models/{id}", modelDetails),
            (.get, "/health", health),
            (.get, "/metrics", prometheusMetrics),
            (.post, "/tokenize", tokenize),
            (.post, "/detokenize", detokenize),
        ] + Self.webFiles.keys.sorted().map { (.get, $0, webFile) }
        let methods = Dictionary(grouping: endpoints, by: \.path).mapValues { $0.map(\.method) }

        let router = Router(context: ServerRequestContext.self)
        // Middleware applies to the routes added after it, and to unknown paths.
        router.add(middleware: AccessLogMiddleware(logger: logger, metrics: metrics))
        router.add(middleware: OpenAIErrorMiddleware(logger: logger, methods: methods))
        router.add(middleware: DrainMiddleware(lifecycle: lifecycle))
        if let apiKey = configuration.apiKey { router.add(middleware: APIKeyMiddleware(apiKey: apiKey)) }
        for endpoint in endpoints { router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler) }
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

    /// From arrival to the last token, queueing included.
    func deadline(from arrival: ContinuousClock.Instant) -> ContinuousClock.Instant { arrival + configuration.requestTimeout }
}
