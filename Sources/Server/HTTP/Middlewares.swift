import Foundation
import Hummingbird
import Logging

/// One log line per request once its response is written (streams included): method, path, status,
/// tokens and milliseconds. Also counts the request in the metrics.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let logger: Logger
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let (logger, metrics, method, path) = (logger, metrics, request.method, request.uri.path)
        let status = response.status.code
        let route = context.endpointPath ?? "unmatched"
        let tokens = context.tokens
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            var written = false
            defer {
                let milliseconds = Int((ContinuousClock.now - start) / .milliseconds(1))
                let (prompt, generated) = tokens.value
                logger.info("\(method) \(path) \(status) tokens=\(prompt)+\(generated) \(milliseconds)ms\(written ? "" : " (client left)")")
                metrics.countRequest(route: route, status: status)
            }
            try await body.write(writer)
            written = true
        }
        return response
    }
}

/// Turns every error, thrown by a handler or by Hummingbird (unknown route, body too large), into
/// OpenAI's error JSON with its status. A known path asked with another method is a 405 saying which
/// methods it takes (Hummingbird reports it as not found).
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let logger: Logger
    /// The methods of each route's path.
    let methods: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, let allowed = methods[request.uri.path] {
                var response = APIError.methodNotAllowed(request.method.rawValue, path: request.uri.path,
                                                          allowed: allowed.map(\.rawValue)).response
                response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return response
            }
            if error.status == .notFound { return APIError.notFound(path: request.uri.path).response }
            return APIError(status: error.status.code, message: (error as? HTTPError)?.body ?? error.status.reasonPhrase,
                            type: error.status.code >= 500 ? "server_error" : "invalid_request_error").response
        } catch is CancellationError {
            // The client went away; nobody reads this.
            return APIError(status: 499, message: "The request was cancelled.", type: "invalid_request_error").response
        } catch {
            logger.error("\(request.method) \(request.uri.path): \(error)")
            return APIError.internalError("Internal error: \(error)").response
        }
    }
}

/// Counts each request until its response is written, so that a shutdown can wait for them, and once the
/// server drains refuses new ones with 503 and `Retry-After`. `/health` and `/metrics` stay open: they
/// are how balancers and autoscalers watch the drain.
struct DrainMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let lifecycle: ServerLifecycle

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" || request.uri.path == "/metrics" { return try await next(request, context) }
        guard lifecycle.admit() else { throw APIError.shuttingDown }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            lifecycle.finish()
            throw error
        }
        let (lifecycle, body) = (lifecycle, response.body)
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { lifecycle.finish() }
            try await body.write(writer)
        }
        return response
    }
}

/// With `--api-key`, every endpoint but /health and the web page's files requires `Authorization: Bearer KEY`
/// (the page asks for the key and sends it with its API calls).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let apiKey: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == "/health" || (request.method == .get && Routes.webFiles[request.uri.path] != nil) || Self.matches(request.headers[.authorization], key: apiKey) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    /// Compares in time independent of where the strings differ, so the key cannot be guessed byte by byte.
    static func matches(_ header: String?, key: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst(7))
        let expected = Array(key.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        return difference == 0
    }
}

extension APIError {
    /// The error as an HTTP response: OpenAI's JSON, and Retry-After on 503.
    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBody)))
    }
}
