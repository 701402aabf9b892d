/// Prompt-lookup drafting for speculative decoding (Saxena, "Prompt Lookup Decoding", 2023; llama.cpp's
/// `examples/lookup`): text that copies names, numbers and phrases from its prompt — a summary, an answer
/// quoting its passage — continues the way it did earlier in the sequence. The drafter finds the longest
/// suffix of the sequence (from `maxNgram` down to `minNgram` tokens) that occurred earlier, and proposes the
/// tokens that followed its latest earlier occurrence. The model verifies the draft in one forward call.
public struct PromptLookup: Sendable {
    public var maxNgram: Int
    public var minNgram: Int

    public init(maxNgram: Int = 3, minNgram: Int = 1) {
        precondition(minNgram >= 1 && maxNgram >= minNgram, "n-gram sizes \(minNgram)...\(maxNgram)")
        self.maxNgram = maxNgram
        self.minNgram = minNgram
    }

    /// Up to `count` tokens that followed the latest earlier occurrence of the longest matching suffix of
    /// `sequence`; empty when no suffix of `minNgram` tokens or more occurred before.
    public func draft(_ sequence: ArraySlice<Int32>, count: Int) -> [Int32] {
        match(sequence, count: count).tokens
    }

    /// `draft`'s tokens and the length of the suffix that matched (0 when none did): a longer match is likelier
    /// to continue the same way.
    public func match(_ sequence: ArraySlice<Int32>, count: Int) -> (tokens: [Int32], ngram: Int) {
        guard count > 0 else { return ([], 0) }
        let end = sequence.endIndex
        for n in stride(from: min(maxNgram, sequence.count - 1), through: minNgram, by: -1) {
            let suffix = sequence[(end - n)...]
            // Latest first: an occurrence starting at `start` ends before the suffix itself.
            var start = end - n - 1
            while start >= sequence.startIndex {
                if sequence[start] == suffix.first, sequence[start..<(start + n)].elementsEqual(suffix) {
                    let continuation = start + n
                    return (Array(sequence[continuation..<min(end, continuation + count)]), n)
                }
                start -= 1
            }
        }
        return ([], 0)
    }
}
