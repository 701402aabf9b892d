import Foundation
import Testing
import Tensor
@testable import Transformer
import TestSupport

// Batched decoding of several sessions (`BatchDecoder`): one forward call takes the next token of each session,
// and every session's cache and logits equal, bit for bit, what decoding it alone gives.

/// Decodes `prompts` greedily for `steps` tokens, alone and batched, and returns both runs' logits per step per
/// prompt. Sessions leave the batch at different steps (prompt i decodes `steps - i` tokens), as requests do.
func decodedAloneAndBatched(_ model: any LanguageModel, prompts: [[Int32]], steps: Int, contextSize: Int)
    throws -> (alone: [[[Float]]], batched: [[[Float]]], aloneTokens: [[Int32]], batchedTokens: [[Int32]]) {
    func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        Int32(logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) } ?? 0)
    }
    var alone: [[[Float]]] = []
    var aloneTokens: [[Int32]] = []
    for (i, prompt) in prompts.enumerated() {
        let session = try Session(model: model, contextSize: contextSize, threads: 2)
        try session.evaluate(prompt)
        var logits: [[Float]] = []
        var tokens: [Int32] = []
        for _ in 0..<(steps - i) {
            let token = argmax(session.lastLogits)
            try session.append(token)
            tokens.append(token)
            logits.append(Array(session.lastLogits))
        }
        alone.append(logits)
        aloneTokens.append(tokens)
    }
    let pool = ThreadPool(threadCount: 2)
    let sessions = try prompts.map { prompt in
        let session = try Session(model: model, contextSize: contextSize, threads: 2, pool: pool)
        try session.evaluate(prompt)
        return session
    }
    let decoder = try BatchDecoder(model: model, capacity: prompts.count, pool: pool)
    var batched = [[[Float]]](repeating: [], count: prompts.count)
    var batchedTokens = [[Int32]](repeating: [], count: prompts.count)
    for step in 0..<steps {
        let active = prompts.indices.filter { step < steps - $0 }
        let tokens = active.map { argmax(sessions[$0].lastLogits) }
        try decoder.append(tokens, to: active.map { sessions[$0] })
        for (index, token) in zip(active, tokens) {
            batchedTokens[index].append(token)
            batched[index].append(Array(sessions[index].lastLogits))
        }
    }
    return (alone, batched, aloneTokens, batchedTokens)
}

@Suite struct TinyModelBatchTests {
    /// Every architecture and weight format: each row of a batched call equals decoding that sequence alone.
    /// Q8_0 bit for bit; F32 and F16 within sgemm's one-row-versus-batch tolerance (TinyModelTests).
    @Test(arguments: TinyModelTests.variants.map { "\($0.0) \($0.1.name)" })
    func batchedRowsEqualDecodingAlone(variant: String) throws {
        let (architecture, type) = try #require(TinyModelTests.variants.first { "\($0.0) \($0.1.name)" == variant })
        let model = try TinyModelTests.model(architecture, type)
        // Different lengths: the sequences sit at different positions, and one is past gemma3's window.
        let prompts = [TinyModelTests.tokens(40, seed: 1), TinyModelTests.tokens(7, seed: 2), TinyModelTests.tokens(23, seed: 3)]
        let run = try decodedAloneAndBatched(model, prompts: prompts, steps: 6, contextSize: model.shape.contextLength)
        for (alone, batched) in zip(run.alone, run.batched) {
            #expect(alone.count == batched.count)
            for (a, b) in zip(alone, batched) {
                #expect(TinyModelTests.relativeDifference(b, a) <= TinyModelTests.batchTolerance(type))
            }
        }
    }

    @Test func refusesWhatCannotBeAppended() throws {
        let model = try TinyModelTests.model("llama", .q8_0)
        let pool = ThreadPool(threadCount: 1)
        let session = try Session(model: model, contextSize: 4, threads: 1, pool: pool)
        try session.evaluate([1, 2, 3, 4])
        let decoder = try BatchDecoder(model: model, capacity: 2, pool: pool)
        #expect(throws: GenerationError.contextExceeded(needed: 5, contextSize: 4)) { try decoder.append([5], to: [session]) }
        let other = try Session(model: model, contextSize: 8, threads: 1, pool: pool)
        try other.evaluate([1])
        #expect(throws: GenerationError.invalidToken(-1, vocabularySize: model.shape.vocabularySize)) { try decoder.append([-1], to: [other]) }
        // Nothing was appended to either.
        #expect(session.tokens == [1, 2, 3, 4] && other.tokens == [1])
    }
}

@Suite(.serialized) struct BatchDecodingTests {
    /// The catalog models in their real formats (Q4_K, Q6_K, Q5_0, Q8_0): batched decoding of eight prompts of
    /// different lengths (one past gemma3's 512-position window; the Q4_0/Q5_0/Q8_0 layers' wide kernels take 2 to 8
    /// rows, fewer as the shorter runs end) gives each the logits and greedy tokens of decoding it alone, bit for bit.
    @Test(arguments: speculationModels)
    func batchedDecodingEqualsDecodingAlone(model name: String) throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath(name))
        let long = runtime.tokenize(try repetitionPrompt())
        #expect(long.count > 600)
        let prompts = [runtime.tokenize("The capital of France is"), long, runtime.tokenize("人工智能的发展")]
            + ["Once upon a time", "1, 2, 3, 4,", "def fibonacci(n):", "Bonjour, je m'appelle", "The quick brown fox"].map { runtime.tokenize($0) }
        let run = try decodedAloneAndBatched(runtime.model, prompts: prompts, steps: 8, contextSize: 2048)
        #expect(run.batchedTokens == run.aloneTokens)
        for (alone, batched) in zip(run.alone, run.batched) {
            #expect(alone == batched)
        }
    }
}

@Suite(.serialized) struct BatchGeneratorTests {
    /// Five requests on two sessions (each session takes the next request when its answer ends): every answer's
    /// text and finish reason equal `TextGenerator`'s for that prompt alone without drafts, whatever ends it
    /// (budget, stop string, end of generation, the caller), also when the batched answers draft by prompt lookup.
    @Test(arguments: speculationModels, [false, true])
    func answersEqualGeneratingEachAlone(model name: String, lookup: Bool) throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath(name))
        // Different first tokens: a session's cache shares no prefix with the next prompt it takes, so each prompt
        // is evaluated whole, as on a fresh session.
        let requests = [
            BatchGenerator.Request(prompt: runtime.tokenize("The capital of France is"), options: GenerationOptions(maxTokens: 24)),
            BatchGenerator.Request(prompt: runtime.tokenize("人工智能的发展"), options: GenerationOptions(maxTokens: 40)),
            BatchGenerator.Request(prompt: runtime.tokenize("Once upon a time"), options: GenerationOptions(maxTokens: 30, stopStrings: [","])),
            BatchGenerator.Request(prompt: runtime.tokenize(try repetitionPrompt()), options: GenerationOptions(maxTokens: 20, loopWindow: 8)),
            BatchGenerator.Request(prompt: runtime.tokenize("def fibonacci(n):"), options: GenerationOptions(maxTokens: 16)),
        ]
        var alone: [(String, FinishReason)] = []
        for (index, request) in requests.enumerated() {
            let session = try runtime.makeSession(contextSize: 2048, threads: 2)
            var pieces = 0
            let (text, stats) = try TextGenerator(session: session, tokenizer: runtime.tokenizer)
                .generate(prompt: request.prompt, options: request.options, onText: { _ in
                    pieces += 1
                    return index != 4 || pieces < 5  // the caller ends the last answer early
                })
            alone.append((text, stats.finishReason))
        }
        let pool = ThreadPool(threadCount: 2)
        let sessions = try (0..<2).map { _ in try Session(model: runtime.model, contextSize: 2048, threads: 2, pool: pool) }
        let generator = try BatchGenerator(sessions: sessions, tokenizer: runtime.tokenizer, draftCapacity: lookup ? 6 : 0)
        var queue = Array(requests.enumerated().map { id, request in
            var request = request
            if lookup { request.options.speculation = .promptLookup(maxDraft: 6) }
            return (id, request)
        })
        var texts = [String](repeating: "", count: requests.count)
        var pieces = [Int](repeating: 0, count: requests.count)
        var reasons = [FinishReason?](repeating: nil, count: requests.count)
        var accepted = 0
        try generator.run(next: { _ in queue.isEmpty ? nil : { let (id, request) = queue.removeFirst(); return (id, request) }() },
                          onText: { id, text in
                              texts[id] += text
                              pieces[id] += 1
                              return id != 4 || pieces[id] < 5
                          },
                          onFinish: { id, result in
                              let stats = try result.get()
                              reasons[id] = stats.finishReason
                              accepted += stats.acceptedDraftTokens
                          })
        for (index, (text, reason)) in alone.enumerated() {
            #expect(texts[index] == text, "request \(index)")
            #expect(reasons[index] == reason, "request \(index)")
        }
        #expect(Set(alone.map(\.1)).count >= 3, "the requests end for different reasons: \(alone.map(\.1))")
        #expect(lookup == (accepted > 0), "draft tokens accepted: \(accepted)")
    }

    /// An answer stopped during its prompt (its client left) ends at once as `cancelled`, its prompt not evaluated
    /// to the end, and the answer beside it is unchanged.
    @Test func anAnswerStoppedDuringItsPromptEndsThere() throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("smollm2-135m"))
        let long = runtime.tokenize(try repetitionPrompt())
        let short = BatchGenerator.Request(prompt: runtime.tokenize("The capital of France is"), options: GenerationOptions(maxTokens: 12))
        let session = try runtime.makeSession(contextSize: 2048, threads: 2)
        let (alone, _) = try TextGenerator(session: session, tokenizer: runtime.tokenizer).generate(prompt: short.prompt, options: short.options)
        let sessions = try runtime.makeSessions(2, contextSize: 2048, threads: 2)
        let generator = try BatchGenerator(sessions: sessions, tokenizer: runtime.tokenizer)
        var queue = [(0, short), (1, BatchGenerator.Request(prompt: long, options: GenerationOptions(maxTokens: 12)))]
        var text = ["", ""]
        var stats: [GenerationStats?] = [nil, nil]
        var polls = 0
        try generator.run(next: { _ in queue.isEmpty ? nil : queue.removeFirst() },
                          onText: { id, piece in
                              text[id] += piece
                              return true
                          },
                          onFinish: { id, result in stats[id] = try result.get() },
                          isStopped: { id in
                              guard id == 1 else { return false }
                              polls += 1
                              return polls > 2  // after two batches of its prompt
                          })
        #expect(text[0] == alone && stats[0]?.finishReason != .cancelled)
        #expect(stats[1]?.finishReason == .cancelled && stats[1]?.generatedTokens == 0 && text[1].isEmpty)
        #expect(long.count > 2 * sessions[1].state.batchCapacity)
        #expect(sessions[1].tokens.count == 2 * sessions[1].state.batchCapacity)
    }

    /// A prompt the model cannot evaluate (a token outside the vocabulary, more tokens than the context holds)
    /// fails its own answer only: the answers beside it are those of generating them alone.
    @Test func aPromptThatCannotBeEvaluatedFailsAlone() throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("smollm2-135m"))
        let good = BatchGenerator.Request(prompt: runtime.tokenize("The capital of France is"), options: GenerationOptions(maxTokens: 12))
        let session = try runtime.makeSession(contextSize: 256, threads: 2)
        let (alone, _) = try TextGenerator(session: session, tokenizer: runtime.tokenizer).generate(prompt: good.prompt, options: good.options)
        let vocabulary = Int32(runtime.model.shape.vocabularySize)
        var queue = [(0, BatchGenerator.Request(prompt: [1, vocabulary + 5], options: GenerationOptions(maxTokens: 4))),
                     (1, good),
                     (2, BatchGenerator.Request(prompt: [Int32](repeating: 42, count: 300), options: GenerationOptions(maxTokens: 4)))]
        var text = ["", "", ""]
        var results: [Result<GenerationStats, GenerationError>?] = [nil, nil, nil]
        let generator = try BatchGenerator(sessions: try runtime.makeSessions(2, contextSize: 256, threads: 2), tokenizer: runtime.tokenizer)
        try generator.run(next: { _ in queue.isEmpty ? nil : queue.removeFirst() },
                          onText: { id, piece in
                              text[id] += piece
                              return true
                          },
                          onFinish: { id, result in results[id] = result })
        #expect(text[1] == alone)
        guard case .success = results[1] else { Issue.record("the good answer failed: \(String(describing: results[1]))"); return }
        guard case .failure(.invalidToken) = results[0] else { Issue.record("expected invalidToken, got \(String(describing: results[0]))"); return }
        guard case .failure(.contextExceeded) = results[2] else { Issue.record("expected contextExceeded, got \(String(describing: results[2]))"); return }
        #expect(text[0].isEmpty && text[2].isEmpty)
    }
}
