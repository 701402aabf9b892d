import Foundation
import Hummingbird

/// A streamed response as OpenAI sends it: one `data: <json>` event per chunk, then `data: [DONE]`.
/// Each event is whole JSON of whole UTF-8 characters (the generator never splits one).
struct EventStreamWriter {
    fileprivate var writer: any ResponseBodyWriter

    mutating func send(_ value: some Encodable) async throws {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONCoding.encoder.encode(value))
        buffer.writeString("\n\n")
        try await writer.write(buffer)
    }

    static func response(_ produce: @escaping @Sendable (inout EventStreamWriter) async throws -> Void) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var events = EventStreamWriter(writer: writer)
            try await produce(&events)
            try await events.writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await events.writer.finish(nil)
        })
    }
}

/// A JSON response body.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONCoding.encoder.encode(value))))
}
