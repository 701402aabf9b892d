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
    /// What the drafter knew when it proposed them, as a class of drafts that the model accepts at similar rates
    /// (prompt lookup: the length of the n-gram that matched; 0 for a draft model).
    private(set) var evidence = 0

    init() {}

    init(proposedOutright tokens: [Int32], evidence: Int = 0) {
        for token in tokens { append(token) }
        self.evidence = evidence
    }

    mutating func append(_ token: Int32, drawnFrom distribution: TokenDistribution? = nil) {
        tokens.append(token)
        proposals.append(distribution ?? .certain(token))
    }

    /// Keeps the first `count` tokens.
    mutating func truncate(to count: Int) {
        tokens.removeLast(max(0, tokens.count - count))
        proposals.removeLast(max(0, proposals.count - count))
    }
}

/// Proposes tokens to follow a sequence, for the target model to verify.
protocol Drafter {
    /// Whether a draft costs next to nothing (a lookup), so that one is made on every step: when the policy
    /// keeps none of it, its first token still shows whether the model would have taken it.
    var draftsForFree: Bool { get }
    /// Reads `prompt` while the target evaluates it (a draft model prefills its cache).
    mutating func prepare(for prompt: [Int32]) throws(GenerationError)
    /// Up to `count` tokens to follow `sequence` (the prompt, the output so far and the token being decoded).
    mutating func draft(after sequence: ArraySlice<Int32>, count: Int) throws(GenerationError) -> Draft
}

extension Drafter {
    func prepare(for prompt: [Int32]) {}
}

extension PromptLookup: Drafter {
    var draftsForFree: Bool { true }

    func draft(after sequence: ArraySlice<Int32>, count: Int) -> Draft {
        let (tokens, ngram) = match(sequence, count: count)
        return Draft(proposedOutright: tokens, evidence: ngram)
    }
}

/// How many draft tokens to verify next: the number that gives the most tokens per second, by what the model has
/// accepted so far and what a forward call and a draft token cost on this machine, both measured as decoding goes.
/// A draft row costs little where decode waits for memory and nearly a whole step where it computes, so the same
/// acceptance pays on one machine and model and not on another; where it does not pay, nothing is drafted.
struct DraftLength {
    let maximum: Int
    /// The rates at which the model takes a draft's first token, by the draft's evidence (moving averages).
    private var firstAcceptance: [Double]
    /// The rate at which it takes a draft token after taking the one before.
    private var nextAcceptance = 0.7
    /// Seconds of a one-row forward call, and the added seconds of each further row and of drafting a token.
    private var stepSeconds: Double?
    private var rowSeconds: Double?
    private var draftTokenSeconds = 0.0
    /// Plain steps since a draft was last verified: after a while one token is drafted anyway, so that the cost of a
    /// row (and a draft model's acceptance, which no free guess shows) is measured anew.
    private var stepsWithoutDraft = 0

    static let evidenceClasses = 5
    /// Before a multi-row call is timed, a row is taken to cost this share of a one-row call.
    static let assumedRowShare = 0.25
    static let exploreAfterSteps = 16

    init(maximum: Int) {
        self.maximum = max(0, maximum)
        firstAcceptance = Array(repeating: 0.5, count: Self.evidenceClasses)
    }

    /// The draft length that maximizes expected tokens per unit of time, 0 to decode one token alone.
    func length(evidence: Int) -> Int {
        let first = firstAcceptance[Self.evidenceClass(evidence)], next = nextAcceptance
        let rowShare = stepSeconds.map { step in ((rowSeconds ?? step * Self.assumedRowShare) + draftTokenSeconds) / step }
            ?? Self.assumedRowShare
        var best = 0, bestRate = 1.0
        var expected = 1.0, reach = first
        for k in stride(from: 1, through: maximum, by: 1) {
            expected += reach
            reach *= next
            let rate = expected / (1 + rowShare * Double(k))
            if rate > bestRate {
                best = k
                bestRate = rate
            }
        }
        return best
    }

    /// `length(evidence:)`, but at least one token after `exploreAfterSteps` steps without a draft.
    func lengthExploring(evidence: Int) -> Int {
        max(length(evidence: evidence), stepsWithoutDraft >= Self.exploreAfterSteps && maximum > 0 ? 1 : 0)
    }

    /// A draft of `drafted` tokens and evidence `evidence` was verified and its first `accepted` tokens stood.
    mutating func update(evidence: Int, drafted: Int, accepted: Int) {
        guard drafted > 0 else { return }
        Self.average(&firstAcceptance[Self.evidenceClass(evidence)], accepted > 0 ? 1 : 0, weight: 0.15)
        // Token j was reached when the j before it stood.
        for j in stride(from: 1, to: drafted, by: 1) where j <= accepted {
            Self.average(&nextAcceptance, j < accepted ? 1 : 0, weight: 0.15)
        }
    }

    /// A step decoded one token where a draft with evidence `evidence` had proposed another first token, or the same.
    mutating func observeUnverified(evidence: Int, wouldStand: Bool) {
        Self.average(&firstAcceptance[Self.evidenceClass(evidence)], wouldStand ? 1 : 0, weight: 0.15)
    }

    /// A forward call of `rows` rows took `seconds`, after `draftSeconds` spent drafting its `rows - 1` draft tokens.
    mutating func recordCall(rows: Int, seconds: Double, draftSeconds: Double = 0) {
        guard rows > 0, seconds > 0 else { return }
        if rows == 1 {
            stepsWithoutDraft += 1
            Self.average(&stepSeconds, seconds, weight: 0.3)
            return
        }
        stepsWithoutDraft = 0
        if let step = stepSeconds {
            Self.average(&rowSeconds, max(0, seconds - step) / Double(rows - 1), weight: 0.3)
            Self.average(&draftTokenSeconds, draftSeconds / Double(rows - 1), weight: 0.3)
        }
    }

    private static func evidenceClass(_ evidence: Int) -> Int { min(max(evidence, 0), evidenceClasses - 1) }

    private static func average(_ value: inout Double, _ sample: Double, weight: Double) {
        value += weight * (sample - value)
    }

    private static func average(_ value: inout Double?, _ sample: Double, weight: Double) {
        value = value.map { $0 + weight * (sample - $0) } ?? sample
    }
}

/// Speculative decoding during one generation: the drafter, the draft length that follows what the model
/// accepts, and the verification of each draft.
final class Speculator {
    private var drafter: any Drafter
    private var draftLength: DraftLength
    /// A free draft's first token that the last step did not verify, to be compared with the model's pick.
    private var unverifiedGuess: (token: Int32, evidence: Int)?

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
        if let guess = unverifiedGuess {
            draftLength.observeUnverified(evidence: guess.evidence, wouldStand: guess.token == token)
            unverifiedGuess = nil
        }
        let clock = ContinuousClock()
        let draftStart = clock.now
        let asked = drafter.draftsForFree ? draftLength.maximum : draftLength.lengthExploring(evidence: 0)
        var draft = asked > 0 ? try drafter.draft(after: sequence, count: min(asked, limit)) : Draft()
        let draftSeconds = Self.seconds(clock.now - draftStart)
        if drafter.draftsForFree {
            let kept = draftLength.lengthExploring(evidence: draft.evidence)
            if kept == 0, let first = draft.tokens.first { unverifiedGuess = (first, draft.evidence) }
            draft.truncate(to: kept)
        }
        let start = clock.now
        guard !draft.tokens.isEmpty else {
            try session.append(token)
            draftLength.recordCall(rows: 1, seconds: Self.seconds(clock.now - start))
            return []
        }
        let (accepted, correction) = try Self.verify(draft, after: token, session: session, sampler: &sampler)
        draftLength.recordCall(rows: 1 + draft.tokens.count, seconds: Self.seconds(clock.now - start), draftSeconds: draftSeconds)
        return Self.record(draft, accepted: accepted, correction: correction, length: &draftLength, stats: &stats)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// What a verification leaves after `accept`: the acceptance in the draft length's estimates, the counts in
    /// `stats`, and the tokens decided (the accepted draft tokens, then the correction if any).
    static func record(_ draft: Draft, accepted: Int, correction: Int32?, length: inout DraftLength,
                       stats: inout GenerationStats) -> [Int32] {
        length.update(evidence: draft.evidence, drafted: draft.tokens.count, accepted: accepted)
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
