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
        try append(tokens.map { [$0] }, to: sessions)
    }

    /// Appends the tokens `rows[i]` (at most `sessions[i].verificationCapacity`: a decoded token and its draft)
    /// to `sessions[i]` for every i, in one forward call, with the logits after each token (`Session.logits(after:)`),
    /// as `Session.appendVerifying` gives them; `lastLogits` are those after the last token of each row.
    public func append(_ rows: [[Int32]], to sessions: [Session]) throws(GenerationError) {
        precondition(rows.count == sessions.count && rows.reduce(0, { $0 + $1.count }) <= capacity,
                     "\(rows.map(\.count)) tokens for \(sessions.count) sessions, capacity \(capacity)")
        precondition(sessions.allSatisfy { $0.model === model && $0.state.pool === state.pool }, "sessions of another model or pool")
        precondition(Set(sessions.map(ObjectIdentifier.init)).count == sessions.count, "a session twice in one batch")
        var positions: [SequencePosition] = []
        for (row, session) in zip(rows, sessions) {
            precondition(row.count <= session.verificationCapacity, "\(row.count) tokens for a session that verifies \(session.verificationCapacity)")
            for (offset, token) in row.enumerated() {
                try session.checkAppendable(token, at: session.tokens.count + offset)
                positions.append(SequencePosition(cache: session.state.cache, position: session.tokens.count + offset))
            }
        }
        guard !positions.isEmpty else { return }
        rows.joined().map { $0 }.withUnsafeBufferPointer { batch in
            model.forward(batch, placement: .sequences(positions), state: state, logits: .all)
        }
        var first = 0
        for (row, session) in zip(rows, sessions) where !row.isEmpty {
            session.recordAppended(row, logits: state.logitsRows(first..<first + row.count))
            first += row.count
        }
    }
}
