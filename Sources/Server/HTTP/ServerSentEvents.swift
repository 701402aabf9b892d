import Foundation
import Hummingbird

/// A streamed response as OpenAI sends it: one `data: <json>` event per chunk, then `data: [DONE]`.
/// Each event is whole JSON of whole UTF-8 characters (the generator never splits one). A stream that
/// fails ends with the error event and no `[DONE]`: a client (or a proxy's log) that sees no `[DONE]`
/// knows the answer is not whole.
struct EventStreamWriter {
    fileprivate var writer: any ResponseBodyWriter
    private var failed = false

    /// While the slot works without output (a long prompt, a summary step), a comment line goes out this
    /// often: a client that left makes the write fail, which cancels the work. Clients ignore comments.
    static let heartbeatInterval = Duration.seconds(1)

    mutating func send(_ value: some Encodable) async throws {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONCoding.encoder.encode(value))
        buffer.writeString("\n\n")
        try await writer.write(buffer)
    }

    /// Sends `error` as the stream's last event.
    mutating func fail(_ error: APIError) async throws {
        try await send(error.body)
        failed = true
    }

    /// Streams `run`: `start` writes what precedes its events, `send` writes each event. When the client
    /// goes away (a write fails) the run is cancelled, which frees its slot.
    static func response<Event: Sendable>(
        for run: InferenceRun<Event>,
        start: @escaping @Sendable (inout EventStreamWriter) async throws -> Void = { _ in },
        send: @escaping @Sendable (inout EventStreamWriter, Event) async throws -> Void
    ) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { run.cancel() }
            var stream = EventStreamWriter(writer: writer)
            try await start(&stream)
            // The run's events and heartbeats, merged into one sequence for the single writer.
            let (items, input) = AsyncStream<Event?>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in run.events { input.yield(event) }
                    input.finish()
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: heartbeatInterval)
                        input.yield(nil)
                    }
                }
                for await item in items {
                    if let item {
                        try await send(&stream, item)
                    } else {
                        try await stream.writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
                group.cancelAll()
            }
            if !stream.failed { try await stream.writer.write(ByteBuffer(string: "data: [DONE]\n\n")) }
            try await stream.writer.finish(nil)
        })
    }
}

/// A JSON response body.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONCoding.encoder.encode(value))))
}
