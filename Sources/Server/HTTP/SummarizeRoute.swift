import Foundation
import Hummingbird
import Reading
import Transformer

/// `POST /v1/summarize` `{"text": article, "length": "short|medium|long", "stream": false}`: the article
/// pipeline of `llmrun summarize` (cleaning, sentence numbering, key sentences condensed into points with checked `[S#]` citations).
///
/// Streamed, the events are, in order: `{"article": …}` (the numbered sentences and the cleaning report,
/// before any generation), then while steps run `{"step": {"stage", "part", "parts"}}` and
/// `{"delta": text}` (the model's raw text, a draft), each point `{"point": {"text", "citations"}}` as
/// soon as it is final, and last the summary, the same object as the whole (non-streamed) response.
extension Routes {
    /// The article as the summary cites it: sentence n is `[S n]`.
    struct ArticleInfo: Encodable {
        struct Sentence: Encodable {
            let index: Int
            let text: String
        }

        struct Removal: Encodable {
            let category: String
            let spans: Int
            let characters: Int
            let examples: [String]
        }

        let language: String
        let sentences: [Sentence]
        /// What the cleaner removed, by category (only the categories that removed something).
        let cleaning: [Removal]

        init(_ article: Article) {
            language = article.language.rawValue
            sentences = article.sentences.map { Sentence(index: $0.index, text: $0.text) }
            let report = article.cleaned.report
            cleaning = CleaningCategory.allCases.compactMap { category in
                let tally = report.tally(category)
                guard tally.spans > 0 else { return nil }
                return Removal(category: category.rawValue, spans: tally.spans, characters: tally.characters,
                               examples: report.examples[category] ?? [])
            }
        }
    }

    /// `SummaryBody` (what `llmrun summarize --json` prints) with the server's object, model, usage, timings and article.
    struct SummaryResponse: Encodable {
        let body: SummaryBody
        let model: String
        let usage: Usage
        let timings: Timings
        let article: ArticleInfo

        init(_ summary: Summary, of article: Article, info: ArticleInfo, timings: Timings, model: String) {
            body = SummaryBody(summary, article: article)
            self.model = model
            usage = Usage(promptTokens: summary.promptTokens, completionTokens: summary.generatedTokens)
            self.timings = timings
            self.article = info
        }

        enum CodingKeys: String, CodingKey { case object, model, usage, timings, article }

        func encode(to encoder: any Encoder) throws {
            try body.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("summary", forKey: .object)
            try container.encode(model, forKey: .model)
            try container.encode(usage, forKey: .usage)
            try container.encode(timings, forKey: .timings)
            try container.encode(article, forKey: .article)
        }
    }

    struct PointEvent: Encodable {
        let point: SummaryPoint
    }

    struct ArticleEvent: Encodable {
        let article: ArticleInfo
    }

    struct StepEvent: Encodable {
        let step: SummaryStep
    }

    struct DeltaEvent: Encodable {
        let delta: String
    }

    func summarize(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body = try await readBody(request)
        let model = try host.model()
        let prepared = try model.requests.summary(body)
        let article = prepared.article
        let info = ArticleInfo(article)
        let run = try await model.summarize(article, length: prepared.length, deadline: deadline(from: arrival))
        let tokens = context.tokens

        guard prepared.stream else {
            defer { run.cancel() }
            for await event in run.events {
                switch event {
                case .step, .text, .point: continue
                case .finished(let summary, let timings):
                    tokens.set(prompt: summary.promptTokens, generated: summary.generatedTokens)
                    return try jsonResponse(SummaryResponse(summary, of: article, info: info, timings: timings, model: model.id))
                case .failed(let error): throw error
                }
            }
            throw CancellationError()
        }
        return EventStreamWriter.response(for: run, start: { stream in
            try await stream.send(ArticleEvent(article: info))
        }, send: { stream, event in
            switch event {
            case .step(let step): try await stream.send(StepEvent(step: step))
            case .text(let text): try await stream.send(DeltaEvent(delta: text))
            case .point(let point): try await stream.send(PointEvent(point: point))
            case .finished(let summary, let timings):
                tokens.set(prompt: summary.promptTokens, generated: summary.generatedTokens)
                try await stream.send(SummaryResponse(summary, of: article, info: info, timings: timings, model: model.id))
            case .failed(let error): try await stream.fail(error)
            }
        })
    }
}
