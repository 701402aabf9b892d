import Foundation
import Testing
@testable import Server
@testable import Transformer
import Reading

// OpenAI's clients expect absent optional fields as null: finish_reason while streaming, usage on all but the
// last chunk, logprobs always. llama.cpp's timings, though, appear only where they apply.

private func object(_ value: some Encodable) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
}

private func firstChoice(_ json: [String: Any]) throws -> [String: Any] {
    try #require((json["choices"] as? [[String: Any]])?.first)
}

@Test func streamedChunksSendAbsentFieldsAsNull() throws {
    let identity = CompletionIdentity(prefix: "chatcmpl-", model: "m")
    let chunk = try object(ChatCompletionChunk(identity, delta: .init(content: "hi")))
    #expect(chunk["usage"] is NSNull)
    #expect(chunk["timings"] == nil)
    let choice = try firstChoice(chunk)
    #expect(choice["finish_reason"] is NSNull && choice["logprobs"] is NSNull)
    #expect(choice["delta"] as? [String: String] == ["content": "hi"])

    let last = try object(ChatCompletionChunk(identity, delta: .init(), finishReason: "stop", timings: Timings()))
    #expect(try firstChoice(last)["finish_reason"] as? String == "stop")
    #expect(last["timings"] is [String: Any])

    let usage = try object(ChatCompletionChunk(identity, usage: Usage(promptTokens: 3, completionTokens: 2)))
    #expect((usage["choices"] as? [Any])?.isEmpty == true)
    #expect((usage["usage"] as? [String: Any])?["total_tokens"] as? Int == 5)
}

@Test func wholeAndTextCompletionsSendLogprobsAsNull() throws {
    var stats = GenerationStats()
    stats.finishReason = .endOfGeneration
    let chat = try object(ChatCompletion(CompletionIdentity(prefix: "chatcmpl-", model: "m"), text: "hi", stats: stats))
    let chatChoice = try firstChoice(chat)
    #expect(chatChoice["logprobs"] is NSNull && chatChoice["finish_reason"] as? String == "stop")

    let identity = CompletionIdentity(prefix: "cmpl-", model: "m")
    let text = try object(TextCompletion(identity, text: "hi", finishReason: nil, usage: nil))
    #expect(text["usage"] is NSNull)
    let textChoice = try firstChoice(text)
    #expect(textChoice["finish_reason"] is NSNull && textChoice["logprobs"] is NSNull && textChoice["text"] as? String == "hi")
}

@Test func summaryResponseIsTheCLIBodyWithTheServersFields() throws {
    let article = try Article(cleaned: TextCleaner().clean("The council met on Monday.\nIt approved the park.\nWork starts in May.", name: "a.txt"))
    var summary = Summary(language: .english)
    summary.points = [SummaryPoint(text: "The park was approved.", citations: [2]), SummaryPoint(text: "Work starts in May.", citations: [3, 2])]
    summary.promptTokens = 30
    summary.generatedTokens = 12
    let body = try object(SummaryBody(summary, article: article))
    let response = try object(Routes.SummaryResponse(summary, of: article, info: Routes.ArticleInfo(article), timings: Timings(), model: "m"))

    #expect(Set(response.keys) == Set(body.keys).union(["object", "model", "usage", "timings", "article"]))
    for (key, value) in body {
        #expect(try JSONSerialization.data(withJSONObject: [value], options: .sortedKeys)
                == JSONSerialization.data(withJSONObject: [response[key] as Any], options: .sortedKeys), "\(key)")
    }
    #expect(response["object"] as? String == "summary")
    let citations = try #require(body["citations"] as? [[String: Any]])
    #expect(citations.map { $0["id"] as? String } == ["S2", "S3"])
    #expect(citations.map { $0["line"] as? Int } == [2, 3])
    #expect(citations.first?["sentence"] as? String == "It approved the park.")
}
