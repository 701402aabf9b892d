import Foundation
import Hummingbird
import Transformer

/// `POST /v1/chat/completions` and `POST /v1/completions`.
extension Routes {
    func chatCompletions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let chat = try ChatCompletionRequest.decode(try await readBody(request))
        let model = try model(named: chat.fields.model)
        let settings = try chat.fields.validated(defaultMaxTokens: model.contextSize, contextSize: model.contextSize)
        // The template's control tokens become control tokens; the messages' text never does.
        let prompt = model.runtime.tokenizer.encode(model.template.prompt(chat.messages), addBOS: true)
        try checkPrompt(prompt, model: model, param: "messages")
        let run = try await model.generate(prompt: prompt, options: settings.options, arrival: arrival, deadline: deadline(from: arrival))
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
                try await stream.send(Self.apiError(for: error, param: "messages").body)
            }
        })
    }

    func completions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let completion = try CompletionRequest.decode(try await readBody(request))
        let model = try model(named: completion.fields.model)
        let settings = try completion.fields.validated(defaultMaxTokens: CompletionRequest.defaultMaxTokens, contextSize: model.contextSize)
        let prompt: [Int32] = switch completion.prompt {
        case .text(let text): model.runtime.tokenize(text, parseSpecial: true)
        case .tokens(let ids): ids
        }
        try checkPrompt(prompt, model: model, param: "prompt")
        let run = try await model.generate(prompt: prompt, options: settings.options, arrival: arrival, deadline: deadline(from: arrival))
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
                try await stream.send(Self.apiError(for: error, param: "prompt").body)
            }
        }
    }

    // MARK: - Steps

    /// A prompt must leave room for at least one generated token, and hold only ids of the vocabulary.
    func checkPrompt(_ prompt: [Int32], model: LoadedModel, param: String) throws(APIError) {
        guard !prompt.isEmpty else { throw .invalidRequest("The prompt is empty: it has no tokens.", param: param, code: "invalid_value") }
        guard prompt.count < model.contextSize else {
            throw .contextLengthExceeded(promptTokens: prompt.count, contextSize: model.contextSize, param: param)
        }
        let vocabularySize = model.runtime.tokenizer.vocabularySize
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw .invalidRequest("Token id \(bad) is outside the vocabulary (0..<\(vocabularySize)).", param: param, code: "invalid_value")
        }
    }

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
            }
        }
        // The stream ends without an outcome only when this task was cancelled (the client left).
        throw CancellationError()
    }

    static func apiError(for error: GenerationError, param: String) -> APIError {
        switch error {
        case .contextExceeded(let needed, let contextSize): .contextLengthExceeded(promptTokens: needed, contextSize: contextSize, param: param)
        case .emptyPrompt, .invalidToken: .invalidRequest(error.description, param: param, code: "invalid_value")
        case .contextTooLarge: .internalError(error.description)
        }
    }
}

extension GenerationSettings {
    var options: GenerationOptions { GenerationOptions(maxTokens: maxTokens, sampling: sampling, stopStrings: stop) }
}
