import Foundation
import Hummingbird

/// `GET /`: the web page (Sources/Server/Web), compiled into the binary by SwiftPM's `embedInCode`.
/// It loads nothing but its own two files and the API of this server (the Content-Security-Policy says so).
extension Routes {
    struct WebFile: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    static let webFiles: [String: WebFile] = [
        "/": WebFile(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "/app.css": WebFile(bytes: PackageResources.app_css, contentType: "text/css; charset=utf-8"),
        "/app.js": WebFile(bytes: PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
    ]

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func webFile(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let file = Self.webFiles[request.uri.path] else { throw APIError.notFound(path: request.uri.path) }
        let headers: HTTPFields = [
            .contentType: file.contentType,
            .cacheControl: "no-cache",
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
