/// SentencePiece (`tokenizer.ggml.model` = `llama`, e.g. Gemma 3), token for token the same as llama.cpp's
/// `llm_tokenizer_spm`: spaces become "▁", an optional space prefix before text that follows BOS or a
/// special token, then repeated merging of the adjacent pair whose joined text is the best-scoring
/// vocabulary entry (leftmost on ties); characters left without a token fall back to `<0xNN>` bytes.
struct SentencePieceTokenizer: Tokenizer {
    let vocabulary: Vocabulary
    /// The token of each byte for byte fallback.
    private let byteTokenIDs: [Int32?]

    private static let spaceMarker: [UInt8] = [0xE2, 0x96, 0x81]  // "▁"

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        byteTokenIDs = (0..<256).map { byte in
            let name = "<0x" + hex2(UInt8(byte)).uppercased() + ">"
            return vocabulary.texts.id(of: Array(name.utf8)) ?? vocabulary.texts.id(of: [UInt8(byte)])
        }
    }

    var bosID: Int32? { vocabulary.bosID }
    var eosID: Int32? { vocabulary.eosID }
    var endOfGenerationIDs: Set<Int32> { vocabulary.endOfGenerationIDs }
    var addsBOS: Bool { vocabulary.addsBOS }
    var addsEOS: Bool { vocabulary.addsEOS }
    var vocabularySize: Int { vocabulary.count }
    var stripsLeadingSpaceWhenDecoding: Bool { vocabulary.addsSpacePrefix }

    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int32] {
        var output: [Int32] = []
        if addBOS, vocabulary.addsBOS, let bos = vocabulary.bosID { output.append(bos) }
        var bytes = Array(text.utf8)
        var scratch = MergeScratch()
        // llama.cpp starts as if a special token preceded the text, so the first fragment gets the prefix.
        var previousWasSpecial = true
        bytes.withUnsafeMutableBufferPointer { buffer in
            let text = UnsafeBufferPointer(buffer)
            for fragment in vocabulary.specialTokens.partition(text, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id):
                    output.append(id)
                    previousWasSpecial = true
                case .text(let range):
                    scratch.text.removeAll(keepingCapacity: true)
                    if vocabulary.addsSpacePrefix && previousWasSpecial { scratch.text.append(contentsOf: Self.spaceMarker) }
                    for byte in text[range] {
                        if byte == 0x20 { scratch.text.append(contentsOf: Self.spaceMarker) } else { scratch.text.append(byte) }
                    }
                    encodeEscaped(scratch: &scratch, into: &output)
                    previousWasSpecial = false
                }
            }
        }
        if addBOS, vocabulary.addsEOS, let eos = vocabulary.eosID { output.append(eos) }
        return output
    }

    func decode(_ ids: [Int32]) -> String {
        decode(ids, renderSpecial: false)
    }

    func pieceBytes(_ id: Int32, renderSpecial: Bool) -> [UInt8] {
        vocabulary.pieceBytes(id, renderSpecial: renderSpecial, decodeNormal: Self.unescapeSpaces)
    }

    // MARK: - Merging

    private struct MergeScratch {
        var text: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [Int32] = []
        var previous: [Int32] = []
        var next: [Int32] = []
        var queue = BinaryHeap<Candidate>()
    }

    /// Ordered for a min-heap: the best candidate is the highest score, then the leftmost.
    private struct Candidate: Comparable {
        let score: Float
        let left: Int32
        let right: Int32
        let length: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
    }

    private func encodeEscaped(scratch: inout MergeScratch, into output: inout [Int32]) {
        let count = scratch.text.count
        guard count > 0 else { return }
        scratch.starts.removeAll(keepingCapacity: true)
        scratch.lengths.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.queue.removeAll()
        // One symbol per UTF-8 character, sized by its lead byte like llama.cpp's `unicode_len_utf8`.
        var offset = 0
        while offset < count {
            let length = min(Self.utf8Length(lead: scratch.text[offset]), count - offset)
            let index = scratch.starts.count
            scratch.starts.append(Int32(offset))
            scratch.lengths.append(Int32(length))
            scratch.previous.append(Int32(index - 1))
            offset += length
            scratch.next.append(offset == count ? -1 : Int32(index + 1))
        }
        scratch.text.withUnsafeBufferPointer { text in
            for right in 1..<max(scratch.starts.count, 1) {
                addCandidate(left: Int32(right - 1), right: Int32(right), text: text, scratch: &scratch)
            }
            while let candidate = scratch.queue.popMin() {
                let left = Int(candidate.left), right = Int(candidate.right)
                let leftLength = scratch.lengths[left], rightLength = scratch.lengths[right]
                guard leftLength > 0, rightLength > 0, leftLength + rightLength == candidate.length else { continue }
                scratch.lengths[left] = leftLength + rightLength
                scratch.lengths[right] = 0
                let after = scratch.next[right]
                scratch.next[left] = after
                if after >= 0 { scratch.previous[Int(after)] = Int32(left) }
                let before = scratch.previous[left]
                if before >= 0 { addCandidate(left: before, right: Int32(left), text: text, scratch: &scratch) }
                if after >= 0 { addCandidate(left: Int32(left), right: after, text: text, scratch: &scratch) }
            }
            var index: Int32 = 0
            while index >= 0 {
                let start = Int(scratch.starts[Int(index)])
                let piece = UnsafeBufferPointer(rebasing: text[start..<(start + Int(scratch.lengths[Int(index)]))])
                if let id = vocabulary.texts.id(of: piece) {
                    output.append(id)
                } else {
                    for byte in piece {
                        if let id = byteTokenIDs[Int(byte)] { output.append(id) }
                    }
                }
                index = scratch.next[Int(index)]
            }
        }
    }

    @inline(__always)
    private func addCandidate(left: Int32, right: Int32, text: UnsafeBufferPointer<UInt8>, scratch: inout MergeScratch) {
        let start = Int(scratch.starts[Int(left)])
        let length = Int(scratch.lengths[Int(left)] + scratch.lengths[Int(right)])
        guard let id = vocabulary.texts.id(of: UnsafeBufferPointer(rebasing: text[start..<(start + length)])) else { return }
        scratch.queue.insert(Candidate(score: vocabulary.scores[Int(id)], left: left, right: right, length: Int32(length)))
    }

    private static func utf8Length(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }

    private static func unescapeSpaces(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == 0xE2, index + 2 < text.endIndex, text[index + 1] == 0x96, text[index + 2] == 0x81 {
                result.append(0x20)
                index += 3
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }
}
