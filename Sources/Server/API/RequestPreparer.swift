import Foundation
import Reading
import Transformer

/// Turns a request body into work for the served model, or into a 4xx naming the field: decoding, the
/// `model` check, range checks, the prompt's tokens and their fit in the context. Everything a route does
/// before it waits for a slot, and nothing that needs a slot, so that `FuzzRequestBody` runs exactly
/// what the routes run.
public struct RequestPreparer: Sendable {
    /// The name clients use in `model`.
    public let modelID: String
    public let tokenizer: any Tokenizer
    public let template: ChatTemplate
    /// Positions of a slot's KV cache: the prompt plus what it generates must fit.
    public let contextSize: Int

    public init(modelID: String, tokenizer: any Tokenizer, template: ChatTemplate, contextSize: Int) {
        self.modelID = modelID
        self.tokenizer = tokenizer
        self.template = template
        self.contextSize = contextSize
    }

    /// `POST /v1/chat/completions`: the messages through the chat template. Without `max_tokens`, the
    /// rest of the context.
    public func chatCompletion(_ body: Data) throws(APIError) -> PreparedGeneration {
        let chat = try ChatCompletionRequest.decode(body)
        try checkModel(chat.fields.model)
        let settings = try chat.fields.validated(defaultMaxTokens: contextSize, contextSize: contextSize)
        // The template's control tokens become control tokens; the messages' text never does.
        let prompt = template.tokens(chat.messages, tokenizer: tokenizer)
        try checkPrompt(prompt, param: "messages")
        return PreparedGeneration(prompt: prompt, settings: settings)
    }

    /// `POST /v1/completions`: the prompt as written (control-token text is parsed, as llama.cpp's server does).
    public func completion(_ body: Data) throws(APIError) -> PreparedGeneration {
        let completion = try CompletionRequest.decode(body)
        try checkModel(completion.fields.model)
        let settings = try completion.fields.validated(defaultMaxTokens: CompletionRequest.defaultMaxTokens, contextSize: contextSize)
        let prompt: [Int32] = switch completion.prompt {
        case .text(let text): tokenizer.encode(text, addBOS: true, parseSpecial: true)
        case .tokens(let ids): ids
        }
        try checkPrompt(prompt, param: "prompt")
        return PreparedGeneration(prompt: prompt, settings: settings)
    }

    /// `POST /v1/summarize`: the text cleaned and split into the sentences the summary cites.
    public func summary(_ body: Data) throws(APIError) -> PreparedSummary {
        let request = try JSONCoding.decodeRequest(SummarizeRequest.self, from: body)
        try checkModel(request.model)
        guard let length = SummaryLength(rawValue: request.length ?? "medium") else {
            throw .invalidRequest("length must be short, medium or long.", param: "length", code: "invalid_value")
        }
        do {
            let article = try Article(cleaned: TextCleaner().clean(request.text, name: "text"))
            return PreparedSummary(article: article, length: length, stream: request.stream ?? false)
        } catch {
            throw .invalidRequest("The text has nothing to summarize: \(error)", param: "text", code: "invalid_value")
        }
    }

    /// `POST /v1/ask`: each article cleaned and split into the sentences the answer cites (numbered across
    /// the articles in order), and the question.
    public func ask(_ body: Data) throws(APIError) -> PreparedAsk {
        let request = try JSONCoding.decodeRequest(AskRequest.self, from: body)
        try checkModel(request.model)
        guard !request.articles.isEmpty else {
            throw .invalidRequest("articles is empty: send at least one {\"text\", \"name\"}.", param: "articles", code: "invalid_value")
        }
        guard !request.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidRequest("The question is empty.", param: "question", code: "invalid_value")
        }
        var articles: [Article] = []
        for (index, posted) in request.articles.enumerated() {
            let name = posted.name ?? "article \(index + 1)"
            guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalidRequest("The article's name is empty.", param: "articles[\(index)].name", code: "invalid_value")
            }
            do {
                articles.append(try Article(cleaned: TextCleaner().clean(posted.text, name: name)))
            } catch {
                throw .invalidRequest("The article has no text to answer from: \(error)", param: "articles[\(index)].text", code: "invalid_value")
            }
        }
        return PreparedAsk(articles: articles, question: request.question, stream: request.stream ?? false)
    }

    /// A request's `model` must be the served one; absent, it is (as llama.cpp's server does).
    func checkModel(_ name: String?) throws(APIError) {
        if let name, name != modelID { throw .modelNotFound(name, served: modelID) }
    }

    /// A prompt must leave room for at least one generated token, and hold only ids of the vocabulary.
    func checkPrompt(_ prompt: [Int32], param: String) throws(APIError) {
        guard !prompt.isEmpty else { throw .invalidRequest("The prompt is empty: it has no tokens.", param: param, code: "invalid_value") }
        guard prompt.count < contextSize else {
            throw .contextLengthExceeded(promptTokens: prompt.count, contextSize: contextSize, param: param)
        }
        let vocabularySize = tokenizer.vocabularySize
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw .invalidRequest("Token id \(bad) is outside the vocabulary (0..<\(vocabularySize)).", param: param, code: "invalid_value")
        }
    }
}

/// A generation request ready for a slot.
public struct PreparedGeneration: Sendable {
    public let prompt: [Int32]
    public let settings: GenerationSettings
}

/// A summary request ready for a slot.
public struct PreparedSummary: Sendable {
    public let article: Article
    public let length: SummaryLength
    public let stream: Bool
}

/// `POST /v1/summarize`, as sent: `{"text", "length": "short|medium|long", "stream", "model"}`.
struct SummarizeRequest: Decodable {
    let text: String
    let length: String?
    let stream: Bool?
    let model: String?
}

/// A question about posted articles, ready for a slot.
public struct PreparedAsk: Sendable {
    public let articles: [Article]
    public let question: String
    public let stream: Bool
}

/// `POST /v1/ask`, as sent: `{"articles": [{"text", "name"}], "question", "stream", "model"}`; a name is what
/// the citations call the article's file (default "article N").
struct AskRequest: Decodable {
    struct PostedArticle: Decodable {
        let text: String
        let name: String?
    }

    let articles: [PostedArticle]
    let question: String
    let stream: Bool?
    let model: String?
}
