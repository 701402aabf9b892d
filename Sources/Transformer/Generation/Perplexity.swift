import Foundation

/// Perplexity as llama.cpp's `llama-perplexity` computes it: the tokens are cut into non-overlapping
/// chunks of `contextSize`; each chunk is evaluated from an empty cache, its first token replaced by BOS
/// when the model adds one; only the second half of each chunk is scored (each position predicts the next
/// token), so every scored token has at least half a context before it.
public struct Perplexity {
    public struct Progress: Sendable {
        public let chunk: Int
        public let chunkCount: Int
        /// Perplexity over the chunks so far.
        public let perplexity: Double
    }

    public struct Result: Sendable, Encodable {
        public let perplexity: Double
        /// llama.cpp's uncertainty estimate: the standard error of the mean negative log-likelihood, times the perplexity.
        public let uncertainty: Double
        public let chunks: Int
        public let scoredTokens: Int
    }

    public enum Failure: Error, CustomStringConvertible {
        case tooFewTokens(have: Int, need: Int)
        public var description: String {
            switch self {
            case .tooFewTokens(let have, let need): "the text has \(have) tokens; perplexity needs at least \(need) (two chunks of the context)"
            }
        }
    }

    /// - Parameter bos: the BOS id when the model adds one, else nil.
    public static func compute(tokens: [Int32], session: Session, contextSize: Int, bos: Int32?, maxChunks: Int? = nil,
                               progress: (Progress) -> Void = { _ in }) throws -> Result {
        guard tokens.count >= 2 * contextSize else { throw Failure.tooFewTokens(have: tokens.count, need: 2 * contextSize) }
        let chunkCount = min(tokens.count / contextSize, maxChunks ?? Int.max)
        let first = contextSize / 2
        let batch = session.state.batchCapacity
        precondition(session.state.logitCapacity >= batch, "perplexity needs a session with logitRows == batchSize")
        var nll: Double = 0
        var nll2: Double = 0
        var count = 0
        for chunk in 0..<chunkCount {
            var chunkTokens = Array(tokens[(chunk * contextSize)..<((chunk + 1) * contextSize)])
            if let bos { chunkTokens[0] = bos }
            session.reset()
            var position = 0
            while position < contextSize {
                let end = min(contextSize, position + batch)
                // Only batches reaching into the scored half need logits.
                let rows: LogitRows = end > first ? .all : .none
                chunkTokens[position..<end].withUnsafeBufferPointer { session.model.forward($0, start: position, state: session.state, logits: rows) }
                if rows == .all {
                    for j in max(position, first)..<min(end, contextSize - 1) {
                        let logProbability = logSoftmax(session.state.logitsRow(j - position), at: Int(chunkTokens[j + 1]))
                        nll -= logProbability
                        nll2 += logProbability * logProbability
                        count += 1
                    }
                }
                position = end
            }
            progress(Progress(chunk: chunk + 1, chunkCount: chunkCount, perplexity: exp(nll / Double(count))))
        }
        let meanNLL = nll / Double(count)
        let perplexity = exp(meanNLL)
        let variance = nll2 / Double(count) - meanNLL * meanNLL
        let uncertainty = variance > 0 && count > 1 ? (variance / Double(count - 1)).squareRoot() * perplexity : 0
        return Result(perplexity: perplexity, uncertainty: uncertainty, chunks: chunkCount, scoredTokens: count)
    }

    /// log softmax(logits)[index], in double like llama.cpp.
    static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, at index: Int) -> Double {
        var maximum = -Float.infinity
        for value in logits { maximum = max(maximum, value) }
        var sum: Double = 0
        for value in logits { sum += Double(expf(value - maximum)) }
        return Double(logits[index] - maximum) - log(sum)
    }
}
