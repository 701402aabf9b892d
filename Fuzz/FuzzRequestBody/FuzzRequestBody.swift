import Foundation
import FuzzSupport
import Server
import Reading
import Transformer

/// The server's request bodies, through `RequestPreparer`, the code the routes run before a request
/// waits for a slot: decoding, the `model` check, range checks, the chat template, tokenization and the
/// context check. The first byte picks the route (chat completions, completions, summarize, ask), the served
/// model's vocabulary and template, and the context size (a small one reaches the context errors); the
/// rest is the body.
///
/// Checks: every refusal is a 4xx with a message and a body of OpenAI's error shape; every acceptance
/// is work a slot can run (a prompt of vocabulary ids that leaves room in the context, settings in range).
func fuzzRequestBody(_ bytes: UnsafeRawBufferPointer) {
    guard let control = bytes.first else { return }
    let which = Int((control >> 2) & 0x03) % FuzzSupport.tokenizers.count
    let tokenizer = FuzzSupport.tokenizers[which]
    let contextSize = control & 0x10 != 0 ? 48 : 4096
    let preparer = RequestPreparer(modelID: FuzzSupport.tokenizerModels[which], tokenizer: tokenizer,
                                   template: FuzzSupport.chatTemplates[which], contextSize: contextSize)
    let body = Data(bytes.dropFirst())
    do throws(APIError) {
        switch Int(control & 0x03) {
        case 0: checkGeneration(try preparer.chatCompletion(body), preparer)
        case 1: checkGeneration(try preparer.completion(body), preparer)
        case 2: checkSummary(try preparer.summary(body))
        default: checkAsk(try preparer.ask(body))
        }
    } catch {
        FuzzSupport.check((400..<500).contains(error.status), "status \(error.status) for a request body: \(error)")
        FuzzSupport.check(!error.message.isEmpty, "empty error message")
        let shape = try? JSONSerialization.jsonObject(with: error.jsonBody) as? [String: Any]
        FuzzSupport.check(shape?["error"] is [String: Any], "error body \(String(decoding: error.jsonBody, as: UTF8.self))")
    }
}

private func checkGeneration(_ prepared: PreparedGeneration, _ preparer: RequestPreparer) {
    let prompt = prepared.prompt
    FuzzSupport.check(!prompt.isEmpty && prompt.count < preparer.contextSize, "prompt of \(prompt.count) tokens, context \(preparer.contextSize)")
    FuzzSupport.check(prompt.allSatisfy { $0 >= 0 && Int($0) < preparer.tokenizer.vocabularySize }, "prompt id outside the vocabulary")
    let settings = prepared.settings
    let sampling = settings.sampling
    FuzzSupport.check((1...preparer.contextSize).contains(settings.maxTokens), "max_tokens \(settings.maxTokens)")
    FuzzSupport.check((0...2).contains(sampling.temperature), "temperature \(sampling.temperature)")
    FuzzSupport.check((0...1).contains(sampling.topP) && (0...1).contains(sampling.minP), "top_p \(sampling.topP), min_p \(sampling.minP)")
    FuzzSupport.check((-2...2).contains(sampling.presencePenalty) && (-2...2).contains(sampling.frequencyPenalty), "penalties")
    FuzzSupport.check(sampling.topK >= 0, "top_k \(sampling.topK)")
    FuzzSupport.check(settings.stop.count <= 4 && !settings.stop.contains(""), "stop \(settings.stop)")
}

private func checkSummary(_ prepared: PreparedSummary) {
    let sentences = prepared.article.sentences
    FuzzSupport.check(!sentences.isEmpty, "an article without sentences was accepted")
    FuzzSupport.check(sentences.map(\.index) == Array(1...sentences.count), "sentences not numbered 1...\(sentences.count)")
}

private func checkAsk(_ prepared: PreparedAsk) {
    FuzzSupport.check(!prepared.articles.isEmpty && prepared.articles.allSatisfy { !$0.sentences.isEmpty }, "an article without sentences was accepted")
    FuzzSupport.check(!prepared.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "an empty question was accepted")
}

@main enum Main {
    static func main() { FuzzSupport.run(fuzzRequestBody, prepare: { _ = (FuzzSupport.tokenizers, FuzzSupport.chatTemplates) }) }
}
