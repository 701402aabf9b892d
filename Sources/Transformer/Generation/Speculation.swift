/// Whether decoding guesses tokens ahead and lets the model verify them, several per forward call (one read of
/// the weights for all). The output is what decoding without drafts gives: greedy, token for token (a draft
/// token is kept only when it is the model's own pick at its position, computed in the decode arithmetic,
/// `Session.appendVerifying`); at a temperature, in distribution (speculative sampling, `Speculator.verify`).
public enum Speculation: Sendable, Equatable {
    case none
    /// Drafts of up to `maxDraft` tokens copied from earlier in the prompt and output (`PromptLookup`).
    case promptLookup(maxDraft: Int)
    /// Drafts of up to `maxDraft` tokens proposed by a smaller model with the same vocabulary (`DraftModel`).
    case draftModel(DraftModel, maxDraft: Int)
}

/// Draft tokens and the distribution each was drawn from (q in speculative sampling).
struct Draft {
    private(set) var tokens: [Int32] = []
    /// Certainty for a token proposed outright (copied, or a greedy pick).
    private(set) var proposals: [TokenDistribution] = []

    init() {}

    init(proposedOutright tokens: [Int32]) {
        for token in tokens { append(token) }
    }

    mutating func append(_ token: Int32, drawnFrom distribution: TokenDistribution? = nil) {
        tokens.append(token)
        proposals.append(distribution ?? .certain(token))
    }
}

/// Proposes tokens to follow a sequence, for the target model to verify.
protocol Drafter {
    /// Reads `prompt` while the target evaluates it (a draft model prefills its cache).
    mutating func prepare(for prompt: [Int32]) throws(GenerationError)
    /// Up to `count` tokens to follow `sequence` (the prompt, the output so far and the token being decoded).
    mutating func draft(after sequence: ArraySlice<Int32>, count: Int) throws(GenerationError) -> Draft
}

extension Drafter {
    func prepare(for prompt: [Int32]) {}
}

extension PromptLookup: Drafter {
    func draft(after sequence: ArraySlice<Int32>, count: Int) -> Draft {
        Draft(proposedOutright: draft(sequence, count: count))
    }
}

/// How many draft tokens to ask for next: more after a draft the model took whole, fewer after one it cut
/// short, so that a run of predictable text is verified in long steps and free text costs little.
struct DraftLength {
    let maximum: Int
    private(set) var current: Int

    init(maximum: Int) {
        self.maximum = max(0, maximum)
        current = min(self.maximum, 4)
    }

    mutating func update(drafted: Int, accepted: Int) {
        guard drafted > 0 else { return }
        current = accepted == drafted ? min(maximum, current * 2) : max(1, accepted + 1)
    }
}

/// Speculative decoding during one generation: the drafter, the draft length that follows what the model
/// accepts, and the verification of each draft.
final class Speculator {
    private var drafter: any Drafter
    private var draftLength: DraftLength

    /// Nil when `speculation` drafts nothing, or `session` cannot verify a draft in one call.
    init?(_ speculation: Speculation, sampling: SamplingParameters, session: Session) {
        let maxDraft: Int
        switch speculation {
        case .none:
            return nil
        case .promptLookup(let maximum):
            drafter = PromptLookup()
            maxDraft = maximum
        case .draftModel(let model, let maximum):
            drafter = DraftModelDrafter(session: model.session, sampling: sampling)
            maxDraft = maximum
        }
        guard maxDraft > 0, session.verificationCapacity > 1 else { return nil }
        draftLength = DraftLength(maximum: min(maxDraft, session.verificationCapacity - 1))
    }

    /// Lets the drafter read the prompt the target has just evaluated.
    func prepare(for prompt: [Int32]) throws(GenerationError) {
        try drafter.prepare(for: prompt)
    }

    /// Decodes `token`, the last of `sequence`, together with a draft to follow it, at most `limit` tokens.
    /// Returns the tokens decided after `token`: the draft tokens the model accepted (already in the cache)
    /// and, after a rejection at a temperature, the model's own next token (not yet in the cache). Otherwise
    /// the next token is sampled from `session.lastLogits` as usual. Without a draft, `token` is appended alone.
    func decode(_ token: Int32, sequence: ArraySlice<Int32>, limit: Int, session: Session, sampler: inout Sampler,
                stats: inout GenerationStats) throws(GenerationError) -> [Int32] {
        let draft = try drafter.draft(after: sequence, count: min(draftLength.current, limit))
        guard !draft.tokens.isEmpty else {
            try session.append(token)
            return []
        }
        let (accepted, correction) = try Self.verify(draft, after: token, session: session, sampler: &sampler)
        return Self.record(draft, accepted: accepted, correction: correction, length: &draftLength, stats: &stats)
    }

    /// What a verification leaves after `accept`: the next draft length, the counts in `stats`, and the tokens
    /// decided (the accepted draft tokens, then the correction if any).
    static func record(_ draft: Draft, accepted: Int, correction: Int32?, length: inout DraftLength,
                       stats: inout GenerationStats) -> [Int32] {
        length.update(drafted: draft.tokens.count, accepted: accepted)
        stats.draftedTokens += draft.tokens.count
        stats.acceptedDraftTokens += accepted
        stats.verificationSteps += 1
        return Array(draft.tokens[..<accepted]) + (correction.map { [$0] } ?? [])
    }

    /// Appends `token` and `draft` to `session` in one forward call and keeps the longest prefix of the draft
    /// the model accepts, so that the output follows the model's own distribution p exactly. Greedy: a draft
    /// token stands when it is the model's pick. At a temperature (speculative sampling, Leviathan et al. and
    /// Chen et al., 2023): a token x drawn from q stands with probability min(1, p(x)/q(x)); at the first
    /// rejection the model's token is drawn from normalize(max(0, p − q)) and returned as the correction.
    /// When every draft token stands, or greedy, the model's next token comes from `session.lastLogits`,
    /// which are then the logits after the last accepted token.
    static func verify(_ draft: Draft, after token: Int32, session: Session,
                       sampler: inout Sampler) throws(GenerationError) -> (accepted: Int, correction: Int32?) {
        let base = session.tokens.count
        try session.appendVerifying([token] + draft.tokens)
        return accept(draft, after: base, session: session, sampler: &sampler)
    }

    /// The acceptance of `verify`, once the token at `base` and `draft` after it are in `session`'s cache with
    /// the logits after each (`Session.appendVerifying`, or `BatchDecoder` for several sessions at once).
    static func accept(_ draft: Draft, after base: Int, session: Session, sampler: inout Sampler) -> (accepted: Int, correction: Int32?) {
        var accepted = 0
        var correction: Int32?
        while accepted < draft.tokens.count, let logits = session.logits(after: base + accepted) {
            let history = session.tokens[..<(base + accepted + 1)]
            let proposed = draft.tokens[accepted]
            if sampler.isGreedy {
                guard sampler.sample(logits, history: history) == proposed else { break }
            } else {
                let p = sampler.distribution(logits, history: history)
                let q = draft.proposals[accepted]
                // u < p(x) / q(x), without dividing by a q(x) of 0.
                guard sampler.nextUnit() * q.probability(of: proposed) < p.probability(of: proposed) else {
                    correction = sampler.draw(from: p.excess(over: q))
                    break
                }
            }
            accepted += 1
        }
        session.truncate(to: base + 1 + accepted)
        return (accepted, correction)
    }
}
