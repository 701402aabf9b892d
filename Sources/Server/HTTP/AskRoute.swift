import Foundation
import Hummingbird
import Reading

/// `POST /v1/ask` `{"articles": [{"text", "name"}], "question", "stream": false}`: `llmrun ask` over posted
/// articles. The response is the JSON of `llmrun ask --json` (`AnswerReport`: answer, citations with file
/// (the article's name), line and sentence, the citations per file, the closest sentence of a refusal).
///
/// Streamed, the events are `{"delta": text}` (cleaned pieces of the answer, without `[S#]` markers) and
/// last the same object as the whole (non-streamed) response.
extension Routes {
    func ask(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body = try await readBody(request)
        let model = try host.model()
        let prepared = try model.requests.ask(body)
        let run = try await model.ask(prepared.question, articles: prepared.articles, deadline: deadline(from: arrival))
        let tokens = context.tokens

        guard prepared.stream else {
            defer { run.cancel() }
            for await event in run.events {
                switch event {
                case .text: continue
                case .finished(let report):
                    tokens.set(prompt: report.promptTokens, generated: report.generatedTokens)
                    return try jsonResponse(report)
                case .failed(let error): throw error
                }
            }
            throw CancellationError()
        }
        return EventStreamWriter.response(for: run) { stream, event in
            switch event {
            case .text(let text): try await stream.send(DeltaEvent(delta: text))
            case .finished(let report):
                tokens.set(prompt: report.promptTokens, generated: report.generatedTokens)
                try await stream.send(report)
            case .failed(let error): try await stream.fail(error)
            }
        }
    }
}
