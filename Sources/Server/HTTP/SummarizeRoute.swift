import Foundation
import Hummingbird
import Transformer

/// `POST /v1/summarize` `{"text": article, "length": "short|medium|long", "stream": false}`: the article
/// pipeline of `llmrun summarize` (cleaning, sentence numbering, map-reduce with checked `[S#]` citations).
/// Streamed, each point is an event `{"point": {"text", "citations"}}` as soon as it is final; the last
/// event, like the whole response, is the summary.
extension Routes {
    struct SummarizeRequest: Decodable {
        let text: String
        let length: String?
        let stream: Bool?
        let model: String?
    }

    struct SummaryResponse: Encodable {
        let object = "summary"
        let model: String
        let summary: String
        let points: [SummaryPoint]
        let language: String
        let usage: Usage

        init(_ summary: Summary, model: String) {
            self.model = model
            self.summary = summary.text
            points = summary.points
            language = summary.language.rawValue
            usage = Usage(promptTokens: summary.promptTokens, completionTokens: summary.generatedTokens)
        }
    }

    struct PointEvent: Encodable {
        let point: SummaryPoint
    }

    func summarize(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body = try JSONCoding.decodeRequest(SummarizeRequest.self, from: try await readBody(request))
        let model = try model(named: body.model)
        guard let length = SummaryLength(rawValue: body.length ?? "medium") else {
            throw APIError.invalidRequest("length must be short, medium or long.", param: "length", code: "invalid_value")
        }
        let article: Article
        do {
            article = try Article(cleaned: TextCleaner().clean(body.text, name: "text"))
        } catch {
            throw APIError.invalidRequest("The text has nothing to summarize: \(error)", param: "text", code: "invalid_value")
        }
        let run = try await model.summarize(article, length: length, deadline: deadline(from: arrival))
        let tokens = context.tokens

        guard body.stream ?? false else {
            defer { run.cancel() }
            for await event in run.events {
                switch event {
                case .point: continue
                case .finished(let summary):
                    tokens.set(prompt: summary.promptTokens, generated: summary.generatedTokens)
                    return try jsonResponse(SummaryResponse(summary, model: model.id))
                case .failed(let error): throw error
                }
            }
            throw CancellationError()
        }
        return EventStreamWriter.response(for: run) { stream, event in
            switch event {
            case .point(let point): try await stream.send(PointEvent(point: point))
            case .finished(let summary):
                tokens.set(prompt: summary.promptTokens, generated: summary.generatedTokens)
                try await stream.send(SummaryResponse(summary, model: model.id))
            case .failed(let error): try await stream.send(error.body)
            }
        }
    }
}
