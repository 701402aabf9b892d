import Foundation
import Testing
@testable import Transformer
import TestSupport

/// llama-perplexity's figures (scripts/gen_perplexity.py).
private struct PerplexityFixture: Decodable {
    struct Run: Decodable {
        let ppl: Double
        let plus_minus: Double
        let scored_tokens: Int
    }
    struct Text: Decodable { let runs: [String: Run] }
    struct Model: Decodable { let texts: [String: Text] }
    let results: [String: Model]
}

/// The texts as llama-perplexity read them: the articles joined by blank lines, and the English essay
/// without its final newline (the tool drops one trailing "\n").
private func perplexityText(_ name: String) throws -> String {
    switch name {
    case "articles":
        let parts = try TestSupport.articles().map { try String(contentsOf: $0, encoding: .utf8) }
        return parts.joined(separator: "\n\n")
    default:
        var text = try #require(String(data: try TestSupport.fixture("text/english.txt"), encoding: .utf8))
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

@Test(arguments: ["smollm2-135m", "qwen2.5-0.5b", "gemma3-270m", "qwen2.5-1.5b"])
func perplexityMatchesLlamaCpp(model name: String) throws {
    let fixture = try JSONDecoder().decode(PerplexityFixture.self, from: try TestSupport.fixture("model/perplexity.json"))
    let reference = try #require(fixture.results[name])
    let runtime = try ModelRuntime(path: try TestSupport.modelPath(name))
    let session = try runtime.makeSession(contextSize: 512, threads: 2, batchSize: 128, logitRows: 128)
    for textName in ["articles", "english"] {
        let expected = try #require(reference.texts[textName]?.runs["chunks_4"])
        let tokens = runtime.tokenize(try perplexityText(textName))
        let bos = runtime.tokenizer.addsBOS ? runtime.tokenizer.bosID : nil
        let result = try Perplexity.compute(tokens: tokens, session: session, contextSize: 512, bos: bos, maxChunks: 4)
        let relative = abs(result.perplexity - expected.ppl) / expected.ppl
        print("\(name) \(textName): PPL \(result.perplexity) ± \(result.uncertainty), llama.cpp \(expected.ppl) ± \(expected.plus_minus), Δ \(relative * 100)%")
        #expect(result.scoredTokens == expected.scored_tokens)
        #expect(relative < 0.005, "\(name) \(textName): PPL \(result.perplexity) vs llama.cpp \(expected.ppl)")
        #expect(abs(result.uncertainty - expected.plus_minus) / expected.plus_minus < 0.05)
    }
}
