import Tensor

/// Decodes several sessions of one model together: one forward call takes the next token of each session and
/// reads the weights once for all of them, where decoding them one by one would read the weights once per
/// token. Decode is bound by memory bandwidth, so a batch of a few sequences costs little more than one.
///
/// Each row is computed in the decode kernels' arithmetic (as `Session.appendVerifying` does), so every session
/// ends up with the cache and logits that `Session.append` of its token alone would have given it.
public final class BatchDecoder {
    public let model: any LanguageModel
    /// Sessions one call takes at most.
    public let capacity: Int
    /// Scratch for `capacity` rows; its own cache is unused (each row goes to its session's cache).
    private let state: ForwardState

    public init(model: any LanguageModel, capacity: Int, pool: ThreadPool) throws(GenerationError) {
        self.model = model
        self.capacity = max(1, capacity)
        state = try ForwardState(shape: model.shape, contextSize: 1, batchCapacity: self.capacity, logitCapacity: self.capacity, pool: pool)
        state.rowwiseArithmetic = true
    }

    /// Appends `tokens[i]` to `sessions[i]` for every i, in one forward call; afterwards each session's
    /// `lastLogits` are the logits after its token. The sessions must be distinct, run this decoder's model and
    /// share its threads.
    public func append(_ tokens: [Int32], to sessions: [Session]) throws(GenerationError) {
        precondition(tokens.count == sessions.count && sessions.count <= capacity, "\(tokens.count) tokens for \(sessions.count) sessions, capacity \(capacity)")
        precondition(sessions.allSatisfy { $0.model === model && $0.state.pool === state.pool }, "sessions of another model or pool")
        precondition(Set(sessions.map(ObjectIdentifier.init)).count == sessions.count, "a session twice in one batch")
        guard !tokens.isEmpty else { return }
        for (token, session) in zip(tokens, sessions) { try session.checkAppendable(token) }
        let placement = TokenPlacement.sequences(sessions.map { SequencePosition(cache: $0.state.cache, position: $0.tokens.count) })
        tokens.withUnsafeBufferPointer { batch in
            model.forward(batch, placement: placement, state: state, logits: .all)
        }
        for (row, (token, session)) in zip(tokens, sessions).enumerated() {
            session.recordAppended(token, logits: state.logitsRow(row))
        }
    }
}
