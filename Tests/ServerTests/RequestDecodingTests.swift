import Foundation
import Testing
@testable import Server
import Transformer
import Reading
import ModelStore

// Request decoding and validation: what a client sends becomes either settings or a 400 naming the field.

private func chat(_ json: String) throws(APIError) -> ChatCompletionRequest {
    try ChatCompletionRequest.decode(Data(json.utf8))
}

private func decodingError(_ json: String) -> APIError? {
    do {
        _ = try chat(json)
        return nil
    } catch {
        return error
    }
}

@Test func chatRequestWithStringAndPartsContent() throws {
    let request = try chat("""
        {"model": "m", "messages": [
          {"role": "developer", "content": "be brief"},
          {"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": "there"}]},
          {"role": "assistant", "content": null}],
         "max_tokens": 7, "temperature": 0, "stop": "END", "stream": true, "stream_options": {"include_usage": true}, "seed": -1}
        """)
    #expect(request.messages == [ChatMessage(role: .system, content: "be brief"), ChatMessage(role: .user, content: "hello\nthere"),
                                 ChatMessage(role: .assistant, content: "")])
    let settings = try request.fields.validated(defaultMaxTokens: 100, contextSize: 512)
    #expect(settings.maxTokens == 7)
    #expect(settings.sampling.temperature == 0)
    #expect(settings.sampling.seed == UInt64.max)
    #expect(settings.stop == ["END"])
    #expect(settings.stream && settings.includeUsage)
}

@Test(arguments: [
    ("", nil),  // empty body
    ("{not json", nil),
    ("[1, 2]", nil),
    (#"{"model": "m"}"#, "messages"),
    (#"{"messages": []}"#, "messages"),
    (#"{"messages": "hi"}"#, "messages"),
    (#"{"messages": [{"content": "hi"}]}"#, "messages[0].role"),
    (#"{"messages": [{"role": "user"}]}"#, "messages[0].content"),
    (#"{"messages": [{"role": "tool", "content": "x"}]}"#, "messages[0].role"),
    (#"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, "messages[0].content"),
    (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"}"#, "max_tokens"),
    (#"{"messages": [{"role": "user", "content": "hi"}], "stop": 3}"#, "stop"),
    (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 99999999999999999999}"#, "max_tokens"),
    (#"{"messages": [{"role": "user", "content": "hi"}], "n": 1.5}"#, "n"),
    (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 1e999}"#, "temperature"),
] as [(String, String?)])
func malformedChatRequestsAre400NamingTheField(json: String, param: String?) {
    let error = decodingError(json)
    #expect(error?.status == 400, "\(json)")
    #expect(error?.type == "invalid_request_error")
    #expect(error?.param == param, "\(json): \(String(describing: error))")
}

@Test func invalidUTF8BodyIs400() {
    var body = Data(#"{"messages": [{"role": "user", "content": ""#.utf8)
    body.append(contentsOf: [0xE4, 0xB8, 0x22, 0x7D, 0x5D, 0x7D])  // half a character, then "}]}
    #expect(throws: APIError.self) { try ChatCompletionRequest.decode(body) }
}

@Test(arguments: [
    (#"{"max_tokens": 0}"#, "max_tokens"),
    (#"{"max_tokens": 513}"#, "max_tokens"),
    (#"{"temperature": 2.5}"#, "temperature"),
    (#"{"top_p": -0.1}"#, "top_p"),
    (#"{"top_k": -1}"#, "top_k"),
    (#"{"presence_penalty": 3}"#, "presence_penalty"),
    (#"{"n": 2}"#, "n"),
    (#"{"stop": ["a", "b", "c", "d", "e"]}"#, "stop"),
])
func outOfRangeFieldsAre400(json: String, param: String) throws {
    let fields = try JSONDecoder().decode(GenerationFields.self, from: Data(json.utf8))
    do {
        _ = try fields.validated(defaultMaxTokens: 16, contextSize: 512)
        Issue.record("\(json) was accepted")
    } catch {
        #expect(error.status == 400)
        #expect(error.param == param)
    }
}

@Test func defaultsFollowLlamaCppServer() throws {
    let settings = try GenerationFields().validated(defaultMaxTokens: 16, contextSize: 512)
    #expect(settings.maxTokens == 16)
    #expect(settings.sampling.temperature == 0.8)
    #expect(settings.sampling.topK == 40)
    #expect(!settings.stream)
}

@Test func completionPromptForms() throws {
    #expect(try CompletionRequest.decode(Data(#"{"prompt": "a"}"#.utf8)).prompt == .text("a"))
    #expect(try CompletionRequest.decode(Data(#"{"prompt": ["b"]}"#.utf8)).prompt == .text("b"))
    #expect(try CompletionRequest.decode(Data(#"{"prompt": [1, 2]}"#.utf8)).prompt == .tokens([1, 2]))
    #expect(throws: APIError.self) { try CompletionRequest.decode(Data(#"{"prompt": ["a", "b"]}"#.utf8)) }
    #expect(throws: APIError.self) { try CompletionRequest.decode(Data(#"{"max_tokens": 3}"#.utf8)) }
}

@Test func errorBodyHasOpenAIShape() throws {
    let error = APIError.contextLengthExceeded(promptTokens: 600, contextSize: 512, param: "messages")
    let object = try #require(try JSONSerialization.jsonObject(with: error.jsonBody) as? [String: [String: Any]])
    let detail = try #require(object["error"])
    #expect(Set(detail.keys) == ["message", "type", "param", "code"])
    #expect((detail["message"] as? String)?.contains("512") == true)
    #expect(detail["code"] as? String == "context_length_exceeded")
    let unauthorized = try #require(try JSONSerialization.jsonObject(with: APIError.unauthorized.jsonBody) as? [String: [String: Any]])
    #expect(unauthorized["error"]?["param"] is NSNull)
}

@Test func apiKeyComparison() {
    #expect(APIKeyMiddleware.matches("Bearer secret", key: "secret"))
    #expect(!APIKeyMiddleware.matches("Bearer secreT", key: "secret"))
    #expect(!APIKeyMiddleware.matches("Bearer secret2", key: "secret"))
    #expect(!APIKeyMiddleware.matches("Bearer ", key: "secret"))
    #expect(!APIKeyMiddleware.matches("secret", key: "secret"))
    #expect(!APIKeyMiddleware.matches(nil, key: "secret"))
}

// MARK: - RequestPreparer: what the routes run before a request waits for a slot (and what FuzzRequestBody fuzzes)

/// smollm2-135m's vocabulary and template, with a context of `contextSize`.
private func makePreparer(contextSize: Int = 64) throws -> RequestPreparer {
    let path = ModelStore.defaultHome.appendingPathComponent("models/smollm2-135m.gguf").path
    try #require(FileManager.default.fileExists(atPath: path), "smollm2-135m is missing: run `llmrun pull smollm2-135m` (make test does)")
    let gguf = try GGUFFile(path: path)
    let template = try #require(ChatTemplate.detect(jinja: try gguf.optionalString("tokenizer.chat_template")))
    return RequestPreparer(modelID: "smollm2-135m", tokenizer: try makeTokenizer(gguf: gguf), template: template, contextSize: contextSize)
}

/// The error `attempt` throws, nil when it succeeds.
private func refusal(_ attempt: () throws -> Void) -> APIError? {
    do {
        try attempt()
        return nil
    } catch {
        return error as? APIError
    }
}

@Test func preparedChatFitsTheContext() throws {
    let prepared = try makePreparer().chatCompletion(Data(#"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "Hi"}]}"#.utf8))
    #expect(!prepared.prompt.isEmpty && prepared.prompt.count < 64)
    #expect(prepared.settings.maxTokens == 64)  // chat: the rest of the context by default
    let completion = try makePreparer().completion(Data(#"{"prompt": [1, 2, 3]}"#.utf8))
    #expect(completion.prompt == [1, 2, 3] && completion.settings.maxTokens == CompletionRequest.defaultMaxTokens)
}

@Test(arguments: [
    (#"{"messages": [{"role": "user", "content": "word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word"}]}"#,
     400, "messages", "context_length_exceeded"),
    (#"{"model": "gpt-4", "messages": [{"role": "user", "content": "Hi"}]}"#, 404, "model", "model_not_found"),
    (#"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 65}"#, 400, "max_tokens", "invalid_value"),
])
func chatPreparationRefusals(body: String, status: Int, param: String, code: String) throws {
    let preparer = try makePreparer()
    let error = refusal { _ = try preparer.chatCompletion(Data(body.utf8)) }
    #expect(error?.status == status && error?.param == param && error?.code == code, "\(String(describing: error))")
}

@Test func completionAndSummaryPreparationRefusals() throws {
    let preparer = try makePreparer()
    let outside = refusal { _ = try preparer.completion(Data(#"{"prompt": [1, 49152]}"#.utf8)) }
    #expect(outside?.status == 400 && outside?.param == "prompt" && outside?.message.contains("49152") == true, "\(String(describing: outside))")
    let blank = refusal { _ = try preparer.summary(Data(#"{"text": " \n "}"#.utf8)) }
    #expect(blank?.status == 400 && blank?.param == "text", "\(String(describing: blank))")
    let length = refusal { _ = try preparer.summary(Data(#"{"text": "One sentence.", "length": "huge"}"#.utf8)) }
    #expect(length?.status == 400 && length?.param == "length", "\(String(describing: length))")
    let summary = try preparer.summary(Data(#"{"text": "The park opens in May. It has a lake.", "length": "short"}"#.utf8))
    #expect(summary.article.sentences.map(\.index) == [1, 2] && summary.length == .short && !summary.stream)
}
