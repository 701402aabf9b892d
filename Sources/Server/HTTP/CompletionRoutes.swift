import Foundation
import Hummingbird
import Transformer

/// `POST /v1/chat/completions` and `POST /v1/completions`.
extension Routes {
    func chatCompletions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body = try await readBody(request)
        let model = try host.model()
        let prepared = try model.requests.chatCompletion(body)
        let settings = prepared.settings
        let run = try await model.generate(prompt: prepared.prompt, options: settings.options, arrival: arrival, deadline: deadline(from: arrival))
        let identity = CompletionIdentity(prefix: "chatcmpl-", model: model.id)
        let tokens = context.tokens

        guard settings.stream else {
            let (text, stats) = try await collect(run, param: "messages")
            tokens.set(prompt: stats.promptTokens, generated: stats.generatedTokens)
            return try jsonResponse(ChatCompletion(identity, text: text, stats: stats))
        }
        return EventStreamWriter.response(for: run, start: { stream in
            try await stream.send(ChatCompletionChunk(identity, delta: .init(role: "assistant", content: "")))
        }, send: { stream, event in
            switch event {
            case .text(let text):
                try await stream.send(ChatCompletionChunk(identity, delta: .init(content: text)))
            case .finished(let stats):
                tokens.set(prompt: stats.promptTokens, generated: stats.generatedTokens)
                try await stream.send(ChatCompletionChunk(identity, delta: .init(), finishReason: openAIFinishReason(stats.finishReason),
                                                          timings: Timings(stats)))
                if settings.includeUsage { try await stream.send(ChatCompletionChunk(identity, usage: Usage(stats))) }
            case .failed(let error):
                try await stream.fail(Self.apiError(for: error, param: "messages"))
            case .aborted(let error):
                try await stream.fail(error)
            }
        })
    }

    func completions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body = try await readBody(request)
        let model = try host.model()
        let prepared = try model.requests.completion(body)
        let settings = prepared.settings
        let run = try await model.generate(prompt: prepared.prompt, options: settings.options, arrival: arrival, deadline: deadline(from: arrival))
        let identity = CompletionIdentity(prefix: "cmpl-", model: model.id)
        let tokens = context.tokens

        guard settings.stream else {
            let (text, stats) = try await collect(run, param: "prompt")
            tokens.set(prompt: stats.promptTokens, generated: stats.generatedTokens)
            return try jsonResponse(TextCompletion(identity, text: text, finishReason: openAIFinishReason(stats.finishReason), usage: Usage(stats)))
        }
        return EventStreamWriter.response(for: run) { stream, event in
            switch event {
            case .text(let text):
                try await stream.send(TextCompletion(identity, text: text, finishReason: nil, usage: nil))
            case .finished(let stats):
                tokens.set(prompt: stats.promptTokens, generated: stats.generatedTokens)
                try await stream.send(TextCompletion(identity, text: "", finishReason: openAIFinishReason(stats.finishReason), usage: nil))
                if settings.includeUsage { try await stream.send(TextCompletion(identity, text: nil, finishReason: nil, usage: Usage(stats))) }
            case .failed(let error):
                try await stream.fail(Self.apiError(for: error, param: "prompt"))
            case .aborted(let error):
                try await stream.fail(error)
            }
        }
    }

    // MARK: - Steps

    /// The whole text of a non-streamed generation; a failure is a 400 naming `param`, the request's prompt field.
    func collect(_ run: InferenceRun<GenerationEvent>, param: String) async throws -> (String, GenerationStats) {
        defer { run.cancel() }
        var text = ""
        for await event in run.events {
            switch event {
            case .text(let piece):
                text += piece
            case .finished(let stats): return (text, stats)
            case .failed(let error): throw Self.apiError(for: error, param: param)
            case .aborted(let error): throw error
            }
        }
        // The stream ends without an outcome only when this task was cancelled (the client left).
        throw CancellationError()
    }

    static func apiError(for error: GenerationError, param: String) -> APIError {
        switch error {
        case .contextExceeded(let needed, let contextSize): .contextLengthExceeded(promptTokens: needed, contextSize: contextSize, param: param)
        case .emptyPrompt, .invalidToken: .invalidRequest(error.description, param: param, code: "invalid_value")
        case .contextTooLarge, .memoryExceeded: .internalError(error.description)
        }
    }
}

extension GenerationSettings {
    var options: GenerationOptions { GenerationOptions(maxTokens: maxTokens, sampling: sampling, stopStrings: stop) }
}
