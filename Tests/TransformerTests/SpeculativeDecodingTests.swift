import Foundation
import Testing
import Tensor
@testable import Transformer
import TestSupport

// Speculative decoding by prompt lookup: the drafter, the verification path (one forward call whose rows
// equal single-token decode steps bit for bit), rollback, and greedy output identical to plain decoding.

@Suite struct PromptLookupTests {
    @Test func theLongestEarlierSuffixProposesWhatFollowedIt() {
        let drafter = PromptLookup(maxNgram: 3, minNgram: 1)
        // "... 7 8 9 1 2 ..." earlier; the sequence ends in 7 8 9: the trigram wins over the later unigram 9.
        let sequence: [Int32] = [5, 7, 8, 9, 1, 2, 3, 4, 9, 6, 0, 7, 8, 9]
        #expect(drafter.draft(sequence[...], count: 3) == [1, 2, 3])
        #expect(drafter.draft(sequence[...], count: 10) == [1, 2, 3, 4, 9, 6, 0, 7, 8, 9])
        // Only a unigram matches: its latest earlier occurrence (the 4 at index 3) is taken.
        #expect(drafter.draft([1, 4, 2, 4, 9, 3, 4][...], count: 2) == [9, 3])
        // Nothing matches, or nothing follows.
        #expect(drafter.draft([1, 2, 3][...], count: 4).isEmpty)
        #expect(drafter.draft([1][...], count: 4).isEmpty)
        #expect(drafter.draft([1, 2, 1][...], count: 0).isEmpty)
        // A run repeats itself: the continuation may overlap the suffix.
        #expect(drafter.draft([3, 3, 3, 3][...], count: 5) == [3])
        // A slice's indices need not start at 0.
        let tail = ([9, 9, 5, 6, 7, 5, 6] as [Int32])[2...]
        #expect(drafter.draft(tail, count: 2) == [7, 5])
    }

    @Test func draftLengthFollowsAcceptanceByEvidence() {
        var length = DraftLength(maximum: 8)
        // Before anything is measured: an even chance for a first token, rows at a quarter of a step.
        #expect(length.length(evidence: 1) == 2)
        for _ in 0..<30 { length.update(evidence: 1, drafted: 2, accepted: 0) }
        #expect(length.length(evidence: 1) == 0)
        // Drafts from longer matches keep their own estimate.
        #expect(length.length(evidence: 3) == 2)
        for _ in 0..<30 { length.update(evidence: 3, drafted: 8, accepted: 8) }
        #expect(length.length(evidence: 3) == 8)
        // Steps that decoded one token show whether a first token would have stood.
        for _ in 0..<30 { length.observeUnverified(evidence: 1, wouldStand: true) }
        #expect(length.length(evidence: 1) == 8)
    }

    @Test func draftLengthFollowsTheMeasuredCostOfARow() {
        var length = DraftLength(maximum: 8)
        for _ in 0..<30 { length.update(evidence: 2, drafted: 4, accepted: 3) }
        // Rows nearly free (decode waits for memory): long drafts.
        for _ in 0..<10 {
            length.recordCall(rows: 1, seconds: 0.100)
            length.recordCall(rows: 5, seconds: 0.104)
        }
        let cheap = length.length(evidence: 2)
        // Each row as dear as a step (decode computes): nothing is worth verifying.
        for _ in 0..<30 {
            length.recordCall(rows: 1, seconds: 0.100)
            length.recordCall(rows: 5, seconds: 0.600)
        }
        #expect(cheap >= 4)
        #expect(length.length(evidence: 2) == 0)
        // Drafting's own time counts as a row's: a draft model as dear as the target is not worth it either.
        var drafted = DraftLength(maximum: 8)
        for _ in 0..<30 { drafted.update(evidence: 0, drafted: 4, accepted: 3) }
        for _ in 0..<30 {
            drafted.recordCall(rows: 1, seconds: 0.100)
            drafted.recordCall(rows: 5, seconds: 0.104, draftSeconds: 0.400)
        }
        #expect(drafted.length(evidence: 0) == 0)
        #expect(drafted.lengthExploring(evidence: 0) == 0)
        for _ in 0..<DraftLength.exploreAfterSteps { drafted.recordCall(rows: 1, seconds: 0.100) }
        #expect(drafted.lengthExploring(evidence: 0) == 1)
    }
}

let speculationModels = ["smollm2-135m", "qwen2.5-0.5b", "gemma3-270m", "qwen2.5-1.5b"]

/// A prompt that makes a model copy: an excerpt of a Chinese article (long enough that gemma3's sliding
/// window, 512, is crossed), an English paragraph, and an instruction to repeat both.
func repetitionPrompt() throws -> String {
    let article = try String(contentsOf: try TestSupport.articles()[0], encoding: .utf8)
    let excerpt = String(article.prefix(1200))
    let paragraph = "The committee met on 14 March 2023 in Geneva. Dr. Elena Marquez presented the budget of 4.7 million "
        + "francs, and Professor Tanaka Hiroshi asked why the Zurich office needed 312 new laptops."
    return "Repeat exactly:\n\(paragraph)\n\(excerpt)\n\nRepeated:\n\(paragraph)\n\(excerpt.prefix(40))"
}

@Suite(.serialized) struct SpeculativeDecodingTests {
    /// One forward call over n tokens in rowwise arithmetic gives, row for row, the logits that n single-token
    /// appends give; and a truncated call leaves the session as if it had never seen the dropped tokens.
    @Test(arguments: speculationModels)
    func verificationRowsEqualSingleStepsAndRollbackForgets(model name: String) throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath(name))
        let tokens = runtime.tokenize(try repetitionPrompt())
        // Past gemma3's 512-position sliding window.
        let prefix = Array(tokens.prefix(tokens.count - 9))
        let next = Array(tokens.suffix(9))
        #expect(prefix.count > 600)
        let single = try runtime.makeSession(contextSize: 2048, threads: 2)
        let batched = try runtime.makeSession(contextSize: 2048, threads: 2)
        try single.evaluate(prefix)
        try batched.evaluate(prefix)
        var steps: [[Float]] = []
        for token in next {
            try single.append(token)
            steps.append(Array(single.lastLogits))
        }
        try batched.appendVerifying(next)
        for (i, step) in steps.enumerated() {
            let row = try #require(batched.logits(after: prefix.count + i))
            #expect(Array(row) == step, "\(name): row \(i) differs from decode step \(i)")
        }
        #expect(Array(batched.lastLogits) == steps[steps.count - 1])
        // For the record: the batched (prefill) arithmetic, which the K-quants' panel GEMM makes differ.
        let prefill = try runtime.makeSession(contextSize: 2048, threads: 2, logitRows: next.count)
        try prefill.evaluate(prefix)
        next.withUnsafeBufferPointer { prefill.model.forward($0, start: prefix.count, state: prefill.state, logits: .all) }
        let differing = steps.indices.filter { Array(prefill.state.logitsRow($0)) != steps[$0] }.count
        print("\(name): \(differing) of \(steps.count) rows of a batched forward differ from decode steps")

        // Rollback: keep 3 of the 9 tokens, then decode on; every logit equals the plain session's.
        let plain = try runtime.makeSession(contextSize: 2048, threads: 2)
        try plain.evaluate(prefix)
        for token in next.prefix(3) { try plain.append(token) }
        batched.truncate(to: prefix.count + 3)
        #expect(batched.tokens == plain.tokens)
        #expect(Array(batched.lastLogits) == Array(plain.lastLogits))
        for token in next.suffix(4).reversed() {
            try plain.append(token)
            try batched.append(token)
            #expect(Array(batched.lastLogits) == Array(plain.lastLogits), "\(name): logits after rollback differ")
        }
    }

    /// Greedy output with prompt lookup is token for token the output without it, and the session ends
    /// holding the same tokens.
    @Test(arguments: speculationModels)
    func greedyOutputIsTheSameWithPromptLookup(model name: String) throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath(name))
        let prompt = runtime.tokenize(try repetitionPrompt())
        var results: [(text: String, stats: GenerationStats, tokens: [Int32])] = []
        for speculation in [Speculation.none, .promptLookup(maxDraft: 8)] {
            let session = try runtime.makeSession(contextSize: 2048, threads: 2)
            let generator = TextGenerator(session: session, tokenizer: runtime.tokenizer)
            let (text, stats) = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 80, speculation: speculation))
            results.append((text, stats, session.tokens))
        }
        let (plain, lookup) = (results[0], results[1])
        print("\(name): \(plain.stats.generatedTokens) tokens, \(lookup.stats.acceptedDraftTokens)/\(lookup.stats.draftedTokens) drafts accepted "
              + "in \(lookup.stats.verificationSteps) passes; \(plain.text.debugDescription)")
        #expect(lookup.text == plain.text)
        #expect(lookup.tokens == plain.tokens)
        #expect(lookup.stats.generatedTokens == plain.stats.generatedTokens)
        #expect(lookup.stats.finishReason == plain.stats.finishReason)
        #expect(plain.stats.generatedTokens >= 64 || plain.stats.finishReason == .endOfGeneration)
        #expect(plain.stats.draftedTokens == 0)
        #expect(lookup.stats.acceptedDraftTokens > 0)
    }

    /// Stops inside a confirmed draft (a stop string, the token budget) end where plain decoding ends.
    @Test func stopsInsideADraftEndLikePlainDecoding() throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        let prompt = runtime.tokenize(try repetitionPrompt())
        for options in [GenerationOptions(maxTokens: 13), GenerationOptions(maxTokens: 60, stopStrings: ["Tanaka"])] {
            var results: [(String, FinishReason, [Int32])] = []
            for speculation in [Speculation.none, .promptLookup(maxDraft: 8)] {
                var options = options
                options.speculation = speculation
                let session = try runtime.makeSession(contextSize: 2048, threads: 2)
                let (text, stats) = try TextGenerator(session: session, tokenizer: runtime.tokenizer).generate(prompt: prompt, options: options)
                results.append((text, stats.finishReason, session.tokens))
            }
            #expect(results[0].0 == results[1].0)
            #expect(results[0].1 == results[1].1)
            #expect(results[0].2 == results[1].2)
        }
    }
}

/// A summary request over the head of a Chinese article (../shared/articles/003), as `summarize` puts one.
func articleSummaryPrompt() throws -> String {
    let article = try String(contentsOf: try TestSupport.articles()[3], encoding: .utf8)
    return "<|im_start|>user\n\(article.prefix(700))\n\nSummarize the key points of this article in Chinese.<|im_end|>\n<|im_start|>assistant\n"
}

/// Drafting with a second model: greedy output token for token the target's, the draft's cache kept in step
/// with the target's, and a draft model of another vocabulary refused at load.
@Suite(.serialized) struct DraftModelTests {
    /// Generates with `speculation` (built for each session) and returns text, statistics and the session's tokens.
    func generate(_ runtime: ModelRuntime, _ prompt: [Int32], maxTokens: Int,
                  speculation: (Session) throws -> Speculation) throws -> (text: String, stats: GenerationStats, tokens: [Int32]) {
        let session = try runtime.makeSession(contextSize: 2048, threads: 2)
        let options = GenerationOptions(maxTokens: maxTokens, speculation: try speculation(session))
        let (text, stats) = try TextGenerator(session: session, tokenizer: runtime.tokenizer).generate(prompt: prompt, options: options)
        return (text, stats, session.tokens)
    }

    @Test func qwenSmallDraftsForQwenLargeWithTheSameOutput() throws {
        let target = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-1.5b"))
        let draft = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        for text in [try repetitionPrompt(), try articleSummaryPrompt()] {
            let prompt = target.tokenize(text, parseSpecial: true)
            let plain = try generate(target, prompt, maxTokens: 48) { _ in .none }
            let drafted = try generate(target, prompt, maxTokens: 48) {
                .draftModel(try DraftModel(runtime: draft, target: target, targetSession: $0), maxDraft: 8)
            }
            print("0.5b for 1.5b: \(drafted.stats.acceptedDraftTokens)/\(drafted.stats.draftedTokens) accepted in "
                  + "\(drafted.stats.verificationSteps) passes; \(plain.text.debugDescription)")
            #expect(drafted.text == plain.text)
            #expect(drafted.tokens == plain.tokens)
            #expect(drafted.stats.finishReason == plain.stats.finishReason)
            #expect(drafted.stats.acceptedDraftTokens > 0)
        }
    }

    /// A model drafting for itself computes the target's logits bit for bit, so every draft token stands. A
    /// second generation from the same sessions (as a chat's next turn) still gives the plain output; the
    /// target then evaluates its last prompt token again, which the draft keeps, so their logits may differ
    /// in the last bits and not every draft token need stand.
    @Test func aModelDraftingForItselfIsAlwaysAccepted() throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        let prompt = runtime.tokenize(try articleSummaryPrompt(), parseSpecial: true)
        let plainSession = try runtime.makeSession(contextSize: 2048, threads: 2)
        let session = try runtime.makeSession(contextSize: 2048, threads: 2)
        let speculation = Speculation.draftModel(try DraftModel(runtime: runtime, target: runtime, targetSession: session), maxDraft: 8)
        for turn in 0..<2 {
            let plain = try TextGenerator(session: plainSession, tokenizer: runtime.tokenizer)
                .generate(prompt: prompt, options: GenerationOptions(maxTokens: 40))
            let (text, stats) = try TextGenerator(session: session, tokenizer: runtime.tokenizer)
                .generate(prompt: prompt, options: GenerationOptions(maxTokens: 40, speculation: speculation))
            print("self-drafting, generation \(turn + 1): \(stats.acceptedDraftTokens)/\(stats.draftedTokens) accepted")
            #expect(text == plain.text)
            #expect(session.tokens == plainSession.tokens)
            #expect(stats.draftedTokens > 0)
            if turn == 0 { #expect(stats.acceptedDraftTokens == stats.draftedTokens) }
        }
    }

    @Test func aDraftModelOfAnotherVocabularyIsRefusedInOneLine() throws {
        let target = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        let draft = try ModelRuntime(path: try TestSupport.modelPath("smollm2-135m"))
        let session = try target.makeSession(contextSize: 256, threads: 1)
        let error = try #require(throws: DraftModelError.self) { try DraftModel(runtime: draft, target: target, targetSession: session) }
        #expect(error.description == "\(draft.gguf.path): cannot draft for \(target.gguf.path): the vocabularies differ "
                + "(49152 tokens here, 151936 there); a draft model needs its target's tokenizer")
        #expect(target.vocabularyDifference(from: try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-1.5b"))) == nil)
        #expect(target.vocabularyDifference(from: target) == nil)
    }
}
