import Foundation
import Tensor

/// A smaller model with its target's vocabulary that drafts tokens for it (`Speculation.draftModel`; qwen2.5-0.5b
/// for qwen2.5-1.5b). It has its own session, which follows the target's sequence from step to step and from
/// one generation to the next; so a draft model serves one target session at a time.
public final class DraftModel: @unchecked Sendable, Equatable {
    public let runtime: ModelRuntime
    public let session: Session

    /// Refuses a draft whose vocabulary differs from `target`'s (`DraftModelError`). The draft's session holds
    /// as many positions as `targetSession` (at most its own trained context) and runs on its threads: the two
    /// models take turns, and a second pool would spin against the first.
    public init(runtime: ModelRuntime, target: ModelRuntime, targetSession: Session) throws {
        if let difference = runtime.vocabularyDifference(from: target) {
            throw DraftModelError(draftPath: runtime.gguf.path, targetPath: target.gguf.path, difference: difference)
        }
        self.runtime = runtime
        session = try Session(model: runtime.model, contextSize: min(targetSession.contextSize, runtime.model.shape.contextLength),
                              threads: targetSession.state.pool.threadCount, pool: targetSession.state.pool)
    }

    public static func == (a: DraftModel, b: DraftModel) -> Bool { a === b }
}

/// A draft model whose vocabulary is not its target's.
public struct DraftModelError: Error, CustomStringConvertible, Equatable {
    public let draftPath: String
    public let targetPath: String
    /// `ModelRuntime.vocabularyDifference(from:)`, "here" being the draft.
    public let difference: String

    public var description: String {
        "\(draftPath): cannot draft for \(targetPath): the vocabularies differ (\(difference)); a draft model needs its target's tokenizer"
    }
}

/// Drafts with a model: its picks (greedy) or draws (at the target's temperature, with the same sampling
/// settings and a random stream of its own) one decode step after another, while it is confident: a draft
/// ends before a token the draft model gives less than `minimumConfidence` (its most likely token's probability
/// at temperature 1), since such a token is seldom the target's and each costs a decode step of the draft.
struct DraftModelDrafter: Drafter {
    let session: Session
    private var sampler: Sampler
    let minimumConfidence: Float

    var draftsForFree: Bool { false }

    init(session: Session, sampling: SamplingParameters, minimumConfidence: Float = 0.5) {
        self.session = session
        self.minimumConfidence = minimumConfidence
        var parameters = sampling
        // The draft's draws must not share the random stream of the target's acceptance tests.
        parameters.seed = sampling.seed ^ 0x5DEE_CE66_D1CE_4E5B
        sampler = Sampler(parameters)
    }

    mutating func draft(after sequence: ArraySlice<Int32>, count: Int) throws(GenerationError) -> Draft {
        // Every draft token but the last enters the draft's cache.
        let count = min(count, session.contextSize + 1 - sequence.count)
        guard count > 0, !sequence.isEmpty else { return Draft() }
        try follow(sequence)
        var draft = Draft()
        while Self.confidence(session.lastLogits) >= minimumConfidence {
            let q = sampler.distribution(session.lastLogits, history: session.tokens[...])
            let token = sampler.isGreedy ? q.tokens[0] : sampler.draw(from: q)
            draft.append(token, drawnFrom: q)
            if draft.tokens.count == count { break }
            try session.append(token)
        }
        return draft
    }

    /// The draft's cache holds the prompt as the target's does, prefilled in the same batches (so that a model
    /// drafting for itself has the target's keys and values bit for bit).
    func prepare(for prompt: [Int32]) throws(GenerationError) {
        try session.evaluate(prompt)
    }

    /// The probability of the most likely token at temperature 1: 1 / Σ exp(logit − max).
    private static func confidence(_ logits: UnsafeBufferPointer<Float>) -> Float {
        let maximum = logits.max() ?? 0
        return 1 / logits.reduce(0) { $0 + expf($1 - maximum) }
    }

    /// Makes the draft's cache hold `sequence`, with the logits after its last token, evaluating only what
    /// differs from what it holds. That is one or two tokens after a step, decoded in the decode arithmetic,
    /// so that a model drafting for itself computes the target's logits bit for bit; a new prompt is prefilled
    /// in batches as the target prefilled it.
    private func follow(_ sequence: ArraySlice<Int32>) throws(GenerationError) {
        var common = zip(session.tokens, sequence).prefix { $0 == $1 }.count
        if sequence.count - common > session.verificationCapacity {
            try session.evaluate(Array(sequence.dropLast()))
            common = sequence.count - 1
        }
        session.truncate(to: min(common, sequence.count - 1))
        try session.appendVerifying(Array(sequence.dropFirst(session.tokens.count)))
    }
}
