import Foundation
import Tensor

/// Generates the answers to many prompts, several at a time (continuous batching): each of its sessions takes
/// a prompt, evaluates it one batch per step (chunked prefill: the others keep decoding meanwhile), and then
/// decodes together with the others, one `BatchDecoder` call per step for all of them; a session whose answer
/// ends takes the next prompt at once. Each answer is token for token
/// what `TextGenerator` gives for its prompt alone (greedy), because batched rows keep the decode arithmetic.
/// A request may draft by prompt lookup (`Speculation.promptLookup`): its row of a step is then its token and
/// a draft, verified in the same call as the other sessions' rows (a draft model would need a session of its
/// own per answer, so a request that asks for one decodes without drafts here).
public final class BatchGenerator {
    public struct Request: Sendable {
        public var prompt: [Int32]
        public var options: GenerationOptions
        /// Whether the prompt may start from what its session's cache shares with it. A prompt evaluated from
        /// an empty cache gets the same bits whichever session takes it and whatever that session held; one
        /// continued from a shared prefix is cut into other batches, whose arithmetic can differ. So answers whose
        /// sessions are handed out in an order that drafting changes (a summary's points) are reproducible only
        /// without reuse.
        public var reusesCache: Bool

        public init(prompt: [Int32], options: GenerationOptions, reusesCache: Bool = true) {
            self.prompt = prompt
            self.options = options
            self.reusesCache = reusesCache
        }
    }

    public let sessions: [Session]
    public let tokenizer: any Tokenizer
    /// Draft tokens an answer verifies at most per step; a request that asks for more gets this many.
    public let draftCapacity: Int
    /// Rows a step takes at most once drafts are added: the answers' own tokens first, then drafts, in session
    /// order, while rows remain. Beyond a few rows the decode arithmetic is bound by its multiplies rather than
    /// by reading the weights, so a draft row costs about what an accepted draft token saves: several answers
    /// decoding together gain nothing from drafts (BENCHMARKS.md, "Drafting in a batch").
    public static let draftingRowLimit = 4
    private let decoder: BatchDecoder

    /// `sessions` run one model on one thread pool (see `Session.init(pool:)`); there are as many answers in
    /// flight at once as sessions. `draftCapacity` 0 leaves out the room drafts would take.
    public init(sessions: [Session], tokenizer: any Tokenizer, draftCapacity: Int = 0) throws(GenerationError) {
        precondition(!sessions.isEmpty, "a batch generator needs a session")
        let model = sessions[0].model
        self.sessions = sessions
        self.tokenizer = tokenizer
        self.draftCapacity = max(0, min(draftCapacity, Self.draftingRowLimit - 1, (sessions.map(\.verificationCapacity).min() ?? 1) - 1))
        // A step's drafts total at most `draftingRowLimit` rows (fewer once answers are decoding; an answer whose
        // prompt completes during the step adds its own row after the drafts were counted), beside a row per session.
        let rows = sessions.count + (self.draftCapacity > 0 ? Self.draftingRowLimit : 0)
        decoder = try BatchDecoder(model: model, capacity: rows, pool: sessions[0].state.pool)
    }

    /// One answer in flight: its request's id, sampler, output so far and statistics.
    private struct Answer {
        let id: Int
        let prompt: [Int32]
        var sampler: Sampler
        var output: GeneratedOutput
        var stats: GenerationStats
        /// Set when the prompt is in the cache and decoding starts.
        var generationStart: Date?
        /// Prompt-lookup drafting, when the request asks for it.
        var drafting: Drafting?
    }

    /// An answer's drafting: the draft length that follows what the model accepts, the tokens the last
    /// verification decided that are not yet output (accepted draft tokens, already in the cache, and at a
    /// temperature perhaps the model's own token after them), and the prompt and output so far, where the
    /// lookup searches.
    private struct Drafting {
        let lookup = PromptLookup()
        var length: DraftLength
        var decided: ArraySlice<Int32> = []
        var sequence: [Int32]
    }

    /// Runs the requests `next(session)` hands out (asked whenever a session is free, so requests may be added
    /// while others run) until it returns nil for every free session and every answer has ended.
    /// - Parameters:
    ///   - next: the next request for free session `session` (an index into `sessions`: a caller may keep a
    ///     conversation on the session that holds its prefix) and its id, or nil when there is none for now.
    ///   - onText: each piece of request `id`'s text; false ends that answer (`cancelled`), not the others.
    ///   - onFinish: request `id`'s answer has ended, with its statistics, or failed (its prompt cannot be evaluated:
    ///     empty, too long, a token outside the vocabulary) without disturbing the others; it may make `next()` return more.
    ///   - isStopped: polled for request `id` before each batch of its prompt; true ends that answer (`cancelled`)
    ///     without evaluating the rest (a client that left during a long prompt).
    ///   - isCancelled: polled between steps and prompt batches; true stops everything with `CancellationError`.
    public func run(next: (_ session: Int) -> (id: Int, request: Request)?, onText: (Int, String) -> Bool, onFinish: (Int, Result<GenerationStats, GenerationError>) throws -> Void,
                    isStopped: (Int) -> Bool = { _ in false }, isCancelled: () -> Bool = { false }) throws {
        var answers = [Answer?](repeating: nil, count: sessions.count)
        /// Ends answer `slot`: its last text, its statistics.
        func finish(_ slot: Int) throws {
            guard var answer = answers[slot] else { return }
            answers[slot] = nil
            let rest = answer.output.remainder()
            if !rest.isEmpty { _ = onText(answer.id, rest) }
            answer.stats.generatedTokens = answer.output.tokens.count
            answer.stats.finishReason = answer.output.finishReason ?? .length
            answer.stats.generationSeconds = answer.generationStart.map { Date().timeIntervalSince($0) } ?? 0
            try onFinish(answer.id, .success(answer.stats))
        }
        while true {
            for slot in answers.indices where answers[slot] == nil {
                guard let (id, request) = next(slot) else { continue }
                answers[slot] = answer(for: request, id: id, on: sessions[slot])
            }
            if answers.allSatisfy({ $0 == nil }) { return }
            if isCancelled() { throw CancellationError() }
            var rows: [[Int32]] = []
            var batch: [Session] = []
            var drafts: [(slot: Int, draft: Draft)] = []
            var draftRows = Self.draftingRowLimit - answers.count { $0?.generationStart != nil }
            for slot in answers.indices {
                guard var answer = answers[slot] else { continue }
                let session = sessions[slot]
                if answer.generationStart == nil && isStopped(answer.id) {
                    answer.output.finishReason = .cancelled
                    answers[slot] = answer
                    try finish(slot)
                    continue
                }
                if answer.generationStart == nil {
                    // Chunked prefill: one batch of the prompt per step, so that the answers being decoded wait for
                    // at most one batch of each new prompt. The batches are those of evaluating it whole: same bits.
                    let start = Date()
                    let complete: Bool
                    do {
                        complete = try session.evaluate(answer.prompt, progress: { _, _ in false })
                    } catch {
                        answers[slot] = nil
                        try onFinish(answer.id, .failure(error))
                        continue
                    }
                    answer.stats.promptSeconds += Date().timeIntervalSince(start)
                    answers[slot] = answer
                    guard complete else { continue }
                    answer.generationStart = Date()
                }
                while answer.output.hasRoom() {
                    let token = answer.drafting?.decided.popFirst() ?? answer.sampler.sample(session.lastLogits, history: session.tokens[...])
                    let text = answer.output.take(token)
                    answer.drafting?.sequence.append(token)
                    if !text.isEmpty, !onText(answer.id, text), answer.output.finishReason != .stopString {
                        answer.output.finishReason = .cancelled
                    }
                    if answer.output.finishReason != nil { break }
                    // An accepted draft token is already in the cache.
                    if session.tokens.count >= answer.prompt.count + answer.output.tokens.count { continue }
                    var row = [token]
                    if let drafting = answer.drafting, draftRows > 0 {
                        let limit = min(answer.output.options.maxTokens - answer.output.tokens.count, session.contextSize - session.tokens.count - 1)
                        var draft = drafting.lookup.draft(after: drafting.sequence[...], count: min(drafting.length.maximum, limit, draftRows))
                        draft.truncate(to: drafting.length.length(evidence: draft.evidence))
                        if !draft.tokens.isEmpty {
                            draftRows -= draft.tokens.count
                            row += draft.tokens
                            drafts.append((slot, draft))
                        }
                    }
                    rows.append(row)
                    batch.append(session)
                    break
                }
                answers[slot] = answer
                if answer.output.finishReason != nil { try finish(slot) }
            }
            if !batch.isEmpty { try decoder.append(rows, to: batch) }
            for (slot, draft) in drafts {
                guard var answer = answers[slot], var drafting = answer.drafting else { continue }
                let session = sessions[slot]
                let (accepted, correction) = Speculator.accept(draft, after: session.tokens.count - 1 - draft.tokens.count, session: session,
                                                               sampler: &answer.sampler)
                drafting.decided = Speculator.record(draft, accepted: accepted, correction: correction, length: &drafting.length,
                                                     stats: &answer.stats)[...]
                answer.drafting = drafting
                answers[slot] = answer
            }
        }
    }

    /// A new answer to `request` on `session`, its prompt not yet evaluated (what the session's cache shares with it
    /// is reused).
    private func answer(for request: Request, id: Int, on session: Session) -> Answer {
        let prompt = request.prompt
        if !request.reusesCache { session.reset() }
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        let reused = zip(session.tokens, prompt).prefix { $0 == $1 }.count
        stats.evaluatedPromptTokens = prompt.count - min(reused, max(0, prompt.count - 1))
        var drafting: Drafting?
        if case .promptLookup(let maxDraft) = request.options.speculation, min(maxDraft, draftCapacity) > 0 {
            drafting = Drafting(length: DraftLength(maximum: min(maxDraft, draftCapacity)), sequence: prompt)
        }
        return Answer(id: id, prompt: prompt, sampler: Sampler(request.options.sampling),
                      output: GeneratedOutput(options: request.options, tokenizer: tokenizer, promptCount: prompt.count,
                                              contextSize: session.contextSize),
                      stats: stats, drafting: drafting)
    }
}
