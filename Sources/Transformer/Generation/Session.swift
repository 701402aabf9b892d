import Foundation
import Tensor

/// Why generation cannot go on.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case emptyPrompt
    case contextExceeded(needed: Int, contextSize: Int)
    case invalidToken(Int32, vocabularySize: Int)
    case contextTooLarge(requested: Int, trained: Int)
    /// A session's buffers (named with the factors of their size) would not fit in memory; bytes is nil when the size overflows Int.
    case memoryExceeded(what: String, bytes: Int?, available: Int)

    private static func byteSize(_ bytes: Int) -> String {
        let gibibytes = Double(bytes) / Double(1 << 30)
        return gibibytes < 1024 ? String(format: "%.1f GiB", gibibytes) : String(format: "%.1f TiB", gibibytes / 1024)
    }

    public var description: String {
        switch self {
        case .emptyPrompt: "the prompt is empty: it tokenizes to no tokens"
        case .contextExceeded(let needed, let contextSize):
            "the prompt needs \(needed) tokens but the context holds \(contextSize); shorten it or raise -c"
        case .invalidToken(let token, let vocabularySize): "token id \(token) is outside the vocabulary (0..<\(vocabularySize))"
        case .contextTooLarge(let requested, let trained):
            "context size \(requested) is larger than the model's trained context \(trained); use -c \(trained) or less"
        case .memoryExceeded(let what, let bytes, let available):
            "\(what) needs \(bytes.map(Self.byteSize) ?? "more than 2^63 bytes"), more than this machine's memory (\(Self.byteSize(available))); "
                + "use a smaller -c, or the model file's metadata is wrong"
        }
    }
}

/// One sequence being evaluated: the model, its KV cache and scratch state, and the tokens in the cache.
/// Prompts are evaluated in batches; a new prompt reuses the cache for its longest common prefix with
/// what is already there (a chat that grows turn by turn is not re-evaluated from the start).
public final class Session: @unchecked Sendable {
    public let model: any LanguageModel
    public let state: ForwardState
    public let contextSize: Int
    /// Tokens whose keys and values are in the cache, in order.
    public private(set) var tokens: [Int32] = []
    /// Tokens `appendVerifying` may take in one call: one decoded token and its draft.
    public var verificationCapacity: Int { min(state.batchCapacity, state.logitCapacity) }
    /// The row of `state.logits` that holds the logits after the last token of the cache.
    private var lastRow = 0
    /// Positions of the tokens whose logits the last forward call left in `state.logits`, row 0 first.
    private var rowPositions = 0..<0

    /// - Parameters:
    ///   - contextSize: positions the KV cache holds; at most the model's trained context.
    ///   - batchSize: tokens per forward call during prompt evaluation.
    ///   - logitRows: how many rows of logits one call may produce (1 for generation; `batchSize` for perplexity).
    ///   - draftCapacity: draft tokens one speculative step may verify (`appendVerifying` takes one more);
    ///     the logits hold at least that many rows plus one.
    ///   - pool: the threads to run on; sessions decoded together (`BatchDecoder`) share one. A new pool of
    ///     `threads` threads when nil.
    public init(model: any LanguageModel, contextSize: Int, threads: Int, batchSize: Int = 128, logitRows: Int = 1,
                draftCapacity: Int = Session.defaultDraftCapacity, pool: ThreadPool? = nil) throws(GenerationError) {
        guard contextSize <= model.shape.contextLength else {
            throw .contextTooLarge(requested: contextSize, trained: model.shape.contextLength)
        }
        configureBLASThreads()
        self.model = model
        self.contextSize = max(1, contextSize)
        state = try ForwardState(shape: model.shape, contextSize: self.contextSize, batchCapacity: max(1, batchSize),
                                 logitCapacity: max(logitRows, draftCapacity + 1), pool: pool ?? ThreadPool(threadCount: threads))
    }

    /// Draft tokens a session verifies at most in one step unless told otherwise.
    public static let defaultDraftCapacity = 10

    /// Forgets the cache.
    public func reset() {
        tokens.removeAll(keepingCapacity: true)
        rowPositions = 0..<0
    }

    /// Keeps the first `count` tokens of the cache and forgets the rest: the next call overwrites their
    /// positions (speculative decoding drops rejected draft tokens this way). `lastLogits` stays valid when
    /// the last forward call computed the logits of the new last token, as `appendVerifying` does for each of
    /// its tokens; the cache then equals one that never saw the dropped tokens.
    public func truncate(to count: Int) {
        precondition(count >= 0 && count <= tokens.count, "truncate(to: \(count)) of \(tokens.count) tokens")
        tokens.removeLast(tokens.count - count)
        if rowPositions.contains(count - 1) {
            lastRow = count - 1 - rowPositions.lowerBound
        } else {
            rowPositions = 0..<0
        }
    }

    /// Makes the cache hold exactly `prompt`, evaluating only what differs from its current content.
    /// Afterwards the logits of the prompt's last token are in `lastLogits`.
    /// `progress(done, total)` is called after each batch; returning false stops early (the cache then
    /// holds the evaluated prefix), and the method returns false.
    @discardableResult
    public func evaluate(_ prompt: [Int32], progress: (Int, Int) -> Bool = { _, _ in true }) throws(GenerationError) -> Bool {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        guard prompt.count <= contextSize else { throw .contextExceeded(needed: prompt.count, contextSize: contextSize) }
        let vocabularySize = model.shape.vocabularySize
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw .invalidToken(bad, vocabularySize: vocabularySize)
        }
        var common = zip(tokens, prompt).prefix { $0 == $1 }.count
        // The last prompt token is always evaluated again, so that its logits are fresh.
        common = min(common, prompt.count - 1)
        tokens.removeLast(tokens.count - common)
        for batch in Self.promptBatches(count: prompt.count - common, capacity: state.batchCapacity) {
            let (position, end) = (common + batch.lowerBound, common + batch.upperBound)
            prompt[position..<end].withUnsafeBufferPointer { batch in
                model.forward(batch, start: position, state: state, logits: end == prompt.count ? .last : .none)
            }
            (lastRow, rowPositions) = end == prompt.count ? (0, end - 1..<end) : (0, 0..<0)
            tokens.append(contentsOf: prompt[position..<end])
            if !progress(end - common, prompt.count - common) && end < prompt.count { return false }
        }
        return true
    }

    /// llama.cpp evaluates new prompt tokens in ubatches of 512 (its default n_ubatch).
    static let referenceMicroBatch = 512

    /// The batches (ranges of `count` new tokens, each at most `capacity`) that give every token the bits llama.cpp
    /// gives it: a batch under 64 tokens takes the one-token form of attention, 64 or more the tiled form (whose
    /// results do not depend on where a batch starts). So each of llama.cpp's ubatches is cut into batches of 64
    /// tokens or more, and only a ubatch under 64 makes a batch under 64.
    static func promptBatches(count: Int, capacity: Int) -> [Range<Int>] {
        let smallest = tiledAttentionMinimumTokens
        var batches: [Range<Int>] = []
        for ubatch in stride(from: 0, to: count, by: referenceMicroBatch) {
            let end = min(count, ubatch + referenceMicroBatch)
            var start = ubatch
            while start < end {
                var stop = min(end, start + capacity)
                // Leave the last batch of this ubatch at least `smallest` tokens when the capacity allows it.
                if stop < end, end - stop < smallest, capacity >= 2 * smallest { stop = end - smallest }
                batches.append(start..<stop)
                start = stop
            }
        }
        return batches
    }

    /// Appends one token and evaluates it (decode).
    public func append(_ token: Int32) throws(GenerationError) {
        try checkAppendable(token)
        withUnsafePointer(to: token) { pointer in
            model.forward(UnsafeBufferPointer(start: pointer, count: 1), start: tokens.count, state: state, logits: .last)
        }
        (lastRow, rowPositions) = (0, tokens.count..<tokens.count + 1)
        tokens.append(token)
    }

    /// Records `newTokens` as appended by a batched forward call (`BatchDecoder`), which stored their keys and
    /// values in this session's cache and computed `logits`, one row after each of them.
    func recordAppended(_ newTokens: [Int32], logits: UnsafeBufferPointer<Float>) {
        state.logits.update(from: logits.baseAddress.unsafelyUnwrapped, count: logits.count)
        (lastRow, rowPositions) = (newTokens.count - 1, tokens.count..<tokens.count + newTokens.count)
        tokens.append(contentsOf: newTokens)
    }

    /// Checks that `token` may be appended at `position` (by default after the cache): room in the context, an
    /// id in the vocabulary.
    func checkAppendable(_ token: Int32, at position: Int? = nil) throws(GenerationError) {
        let position = position ?? tokens.count
        guard position < contextSize else { throw .contextExceeded(needed: position + 1, contextSize: contextSize) }
        guard token >= 0, Int(token) < model.shape.vocabularySize else {
            throw .invalidToken(token, vocabularySize: model.shape.vocabularySize)
        }
    }

    /// Appends `newTokens` (at most `verificationCapacity`) and evaluates them in one forward call, with the
    /// logits after each of them: `logits(after: tokens.count - newTokens.count + i)` for token i. Each row is
    /// computed in the decode kernels' arithmetic, so it is bit for bit what `append` of the same tokens one
    /// by one would give, while the weights are read once for the whole call (speculative decoding's
    /// verification). Afterwards `lastLogits` is the last row; `truncate(to:)` drops a rejected tail.
    public func appendVerifying(_ newTokens: [Int32]) throws(GenerationError) {
        guard !newTokens.isEmpty else { return }
        precondition(newTokens.count <= verificationCapacity, "\(newTokens.count) tokens to verify, the session takes \(verificationCapacity)")
        guard tokens.count + newTokens.count <= contextSize else {
            throw .contextExceeded(needed: tokens.count + newTokens.count, contextSize: contextSize)
        }
        if let bad = newTokens.first(where: { $0 < 0 || Int($0) >= model.shape.vocabularySize }) {
            throw .invalidToken(bad, vocabularySize: model.shape.vocabularySize)
        }
        state.rowwiseArithmetic = true
        defer { state.rowwiseArithmetic = false }
        newTokens.withUnsafeBufferPointer { batch in
            model.forward(batch, start: tokens.count, state: state, logits: .all)
        }
        (lastRow, rowPositions) = (newTokens.count - 1, tokens.count..<tokens.count + newTokens.count)
        tokens.append(contentsOf: newTokens)
    }

    /// The logits after the token at `position` of the cache, when the last forward call computed them.
    public func logits(after position: Int) -> UnsafeBufferPointer<Float>? {
        rowPositions.contains(position) ? state.logitsRow(position - rowPositions.lowerBound) : nil
    }

    /// Logits after the last evaluated token.
    public var lastLogits: UnsafeBufferPointer<Float> { state.logitsRow(lastRow) }
}
