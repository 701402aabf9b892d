/// Byte-level BPE (`tokenizer.ggml.model` = `gpt2`), token for token the same as llama.cpp's
/// `llm_tokenizer_bpe`: special-token partition, pre-tokenizer word split, GPT-2 byte encoding, then
/// merges by rank (lowest first, leftmost on ties) per word.
///
/// Symbols are token ids, not strings: a merge is keyed by the pair of ids it joins. Texts that merges
/// mention but the vocabulary lacks get "virtual" ids past the vocabulary, so even inconsistent merge
/// lists behave as in llama.cpp (which works on strings).
struct BPETokenizer: Tokenizer {
    let vocabulary: Vocabulary
    let settings: PreTokenizer.Settings

    private struct Merge {
        let rank: Int32
        let result: Int32
    }

    /// (left id << 32 | right id) → merge. Only the first (best-ranked) merge of a pair is kept.
    private let merges: [UInt64: Merge]
    /// The id of each byte's one-character symbol.
    private let byteSymbolIDs: [Int32]
    /// Texts of virtual ids, indexed from `vocabulary.count`.
    private let virtualTexts: [[UInt8]]

    init(vocabulary: Vocabulary, preTokenizer settings: PreTokenizer.Settings, gguf: GGUFFile) throws {
        self.vocabulary = vocabulary
        self.settings = settings
        let texts = vocabulary.texts
        var virtualTexts: [[UInt8]] = []
        var virtualIDs: [[UInt8]: Int32] = [:]
        func symbolID(_ text: [UInt8]) -> Int32 {
            if let id = texts.id(of: text) { return id }
            if let id = virtualIDs[text] { return id }
            let id = Int32(texts.count + virtualTexts.count)
            virtualTexts.append(text)
            virtualIDs[text] = id
            return id
        }

        byteSymbolIDs = ByteLevelEncoding.utf8ForByte.map(symbolID)

        let mergeStrings: [String]
        do {
            mergeStrings = try gguf.stringArray("tokenizer.ggml.merges")
        } catch {
            throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.merges", problem: error.problem)
        }
        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(mergeStrings.count)
        for (rank, merge) in mergeStrings.enumerated() {
            let bytes = Array(merge.utf8)
            // llama.cpp splits at the first space after the first byte.
            guard bytes.count > 2, let space = bytes[1...].firstIndex(of: 0x20), space + 1 < bytes.count else { continue }
            let first = Array(bytes[..<space])
            let second = Array(bytes[(space + 1)...])
            let key = UInt64(UInt32(symbolID(first))) << 32 | UInt64(UInt32(symbolID(second)))
            if merges[key] == nil {
                merges[key] = Merge(rank: Int32(clamping: rank), result: symbolID(first + second))
            }
        }
        self.merges = merges
        self.virtualTexts = virtualTexts
    }

    /// Bytes without a token of their own. llama.cpp drops them when encoding (some vocabularies, e.g.
    /// SmolLM2's, lack a few control and invalid-UTF-8 bytes), so text containing them does not round-trip.
    var bytesWithoutToken: Set<UInt8> {
        Set((0..<256).filter { Int(byteSymbolIDs[$0]) >= vocabulary.count }.map { UInt8($0) })
    }

    // MARK: - Tokenizer

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
        bytes.withUnsafeMutableBufferPointer { buffer in
            let text = UnsafeBufferPointer(buffer)
            var scratch = MergeScratch()
            for fragment in vocabulary.specialTokens.partition(text, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id):
                    output.append(id)
                case .text(let range):
                    encodeFragment(UnsafeBufferPointer(rebasing: text[range]), scratch: &scratch, into: &output)
                }
            }
        }
        if addBOS, vocabulary.addsEOS, let eos = vocabulary.eosID { output.append(eos) }
        return output
    }

    func decode(_ ids: [Int32]) -> String {
        let text = decode(ids, renderSpecial: false)
        guard vocabulary.cleansSpaces else { return text }
        return String(decoding: cleanUpTokenizationSpaces(Array(text.utf8)), as: UTF8.self)
    }

    func pieceBytes(_ id: Int32, renderSpecial: Bool) -> [UInt8] {
        vocabulary.pieceBytes(id, renderSpecial: renderSpecial, decodeNormal: Self.byteDecode)
    }

    // MARK: - Encoding

    /// Per-call working memory, reused across the words of one `encode`.
    private struct MergeScratch {
        var codepoints: [UInt32] = []
        var byteOffsets: [Int] = []
        var symbols: [Int32] = []
        var previous: [Int32] = []
        var next: [Int32] = []
        var queue = BinaryHeap<Candidate>()
        var encodedWord: [UInt8] = []
    }

    private struct Candidate: Comparable {
        let rank: Int32
        let left: Int32
        let right: Int32
        let leftID: Int32
        let rightID: Int32
        let result: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.left < b.left
        }
    }

    private func encodeFragment(_ text: UnsafeBufferPointer<UInt8>, scratch: inout MergeScratch, into output: inout [Int32]) {
        decodeCodepoints(text, codepoints: &scratch.codepoints, byteOffsets: &scratch.byteOffsets)
        let wordEnds = scratch.codepoints.withUnsafeBufferPointer { codepoints in
            WordSplitter(codepoints: codepoints).wordEnds(settings.preTokenizer)
        }
        var start = 0
        for end in wordEnds {
            let word = UnsafeBufferPointer(rebasing: text[scratch.byteOffsets[start]..<scratch.byteOffsets[end]])
            encodeWord(word, scratch: &scratch, into: &output)
            start = end
        }
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, scratch: inout MergeScratch, into output: inout [Int32]) {
        guard !word.isEmpty else { return }
        if settings.ignoresMerges {
            // Llama 3: a word that is itself a token is taken whole, whatever the merges say.
            scratch.encodedWord.removeAll(keepingCapacity: true)
            for byte in word { scratch.encodedWord.append(contentsOf: ByteLevelEncoding.utf8ForByte[Int(byte)]) }
            if let id = scratch.encodedWord.withUnsafeBufferPointer({ vocabulary.texts.id(of: $0) }) {
                output.append(id)
                return
            }
        }
        if word.count == 1 {
            emit(byteSymbolIDs[Int(word[0])], into: &output)
            return
        }

        let count = word.count
        scratch.symbols.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        for (index, byte) in word.enumerated() {
            scratch.symbols.append(byteSymbolIDs[Int(byte)])
            scratch.previous.append(Int32(index - 1))
            scratch.next.append(index + 1 < count ? Int32(index + 1) : -1)
        }
        scratch.queue.removeAll()
        for left in 0..<(count - 1) {
            addCandidate(left: Int32(left), right: Int32(left + 1), scratch: &scratch)
        }
        while let candidate = scratch.queue.popMin() {
            let left = Int(candidate.left), right = Int(candidate.right)
            // Stale: one side has merged since this pair was queued.
            guard scratch.symbols[left] == candidate.leftID, scratch.symbols[right] == candidate.rightID else { continue }
            scratch.symbols[left] = candidate.result
            scratch.symbols[right] = -1
            let after = scratch.next[right]
            scratch.next[left] = after
            if after >= 0 { scratch.previous[Int(after)] = Int32(left) }
            let before = scratch.previous[left]
            if before >= 0 { addCandidate(left: before, right: Int32(left), scratch: &scratch) }
            if after >= 0 { addCandidate(left: Int32(left), right: after, scratch: &scratch) }
        }
        var index: Int32 = 0
        while index >= 0 {
            emit(scratch.symbols[Int(index)], into: &output)
            index = scratch.next[Int(index)]
        }
    }

    @inline(__always)
    private func addCandidate(left: Int32, right: Int32, scratch: inout MergeScratch) {
        let leftID = scratch.symbols[Int(left)], rightID = scratch.symbols[Int(right)]
        guard let merge = merges[UInt64(UInt32(leftID)) << 32 | UInt64(UInt32(rightID))] else { return }
        scratch.queue.insert(Candidate(rank: merge.rank, left: left, right: right, leftID: leftID, rightID: rightID, result: merge.result))
    }

    /// A finished symbol: its token, or for a text missing from the vocabulary, llama.cpp's fallback of
    /// looking up each of its UTF-8 bytes as a one-byte token (skipping those that are none).
    private func emit(_ symbol: Int32, into output: inout [Int32]) {
        if Int(symbol) < vocabulary.count {
            output.append(symbol)
            return
        }
        let virtualIndex = Int(symbol) - vocabulary.count
        guard virtualIndex >= 0, virtualIndex < virtualTexts.count else { return }
        for byte in virtualTexts[virtualIndex] {
            if let id = vocabulary.texts.id(of: CollectionOfOne(byte)) { output.append(id) }
        }
    }

    // MARK: - Decoding

    /// Normal tokens hold byte-encoded text: map each character back to its byte. A character outside
    /// the mapping is rendered the way llama.cpp's `llama_decode_text` does.
    private static func byteDecode(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
            if let byte = ByteLevelEncoding.byte(for: scalar.value) {
                result.append(byte)
            } else {
                result.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                for byte in String(scalar).utf8 { result.append(contentsOf: Array(hex2(byte).utf8)) }
                result.append(contentsOf: text)
                result.append(contentsOf: Array("]".utf8))
            }
        }
        return result
    }
}

/// The byte of a `<0xNN>` token.
func byteTokenValue(_ text: ArraySlice<UInt8>) -> UInt8? {
    guard text.count == 6 else { return nil }
    let digits = String(decoding: text.dropFirst(3).prefix(2), as: UTF8.self)
    return UInt8(digits, radix: 16)
}

func hex2(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
}

/// Decodes UTF-8 into code points and the byte offset of each (plus the end offset). The input comes from
/// a Swift `String` split at token boundaries, so it is valid; anything else becomes U+FFFD per byte,
/// like llama.cpp.
func decodeCodepoints(_ text: UnsafeBufferPointer<UInt8>, codepoints: inout [UInt32], byteOffsets: inout [Int]) {
    codepoints.removeAll(keepingCapacity: true)
    byteOffsets.removeAll(keepingCapacity: true)
    var index = 0
    let count = text.count
    while index < count {
        byteOffsets.append(index)
        let lead = text[index]
        var length = 1
        var value = UInt32(lead)
        if lead >= 0xF0 { length = 4; value = UInt32(lead & 0x07) }
        else if lead >= 0xE0 { length = 3; value = UInt32(lead & 0x0F) }
        else if lead >= 0xC0 { length = 2; value = UInt32(lead & 0x1F) }
        else if lead >= 0x80 { length = 0 }
        if length > 1 {
            if index + length <= count {
                for offset in 1..<length {
                    let byte = text[index + offset]
                    if byte & 0xC0 != 0x80 { length = 0; break }
                    value = value << 6 | UInt32(byte & 0x3F)
                }
            } else {
                length = 0
            }
        }
        if length == 0 {
            codepoints.append(0xFFFD)
            index += 1
        } else {
            codepoints.append(value)
            index += length
        }
    }
    byteOffsets.append(count)
}

/// llama.cpp's `clean_up_tokenization_spaces`: " ?", " !", " .", " ," lose the space, " ' " loses both,
/// and " 's", " 'm", " 're", " 've" lose the space.
func cleanUpTokenizationSpaces(_ text: [UInt8]) -> [UInt8] {
    let space = UInt8(ascii: " "), quote = UInt8(ascii: "'")
    var first: [UInt8] = []
    for (index, byte) in text.enumerated() {
        if index > 0, text[index - 1] == space, [UInt8(ascii: "?"), UInt8(ascii: "!"), UInt8(ascii: "."), UInt8(ascii: ",")].contains(byte) {
            first.removeLast()
        }
        first.append(byte)
    }
    var second: [UInt8] = []
    var index = 0
    while index < first.count {
        let byte = first[index]
        if index > 0, byte == quote, index + 1 < first.count, first[index - 1] == space, first[index + 1] == space {
            second.removeLast()
            second.append(byte)
            index += 2
            continue
        }
        second.append(byte)
        index += 1
    }
    var third: [UInt8] = []
    for (index, byte) in second.enumerated() {
        if index > 0, second[index - 1] == space, byte == quote, index + 1 < second.count {
            let next = second[index + 1]
            if next == UInt8(ascii: "s") || next == UInt8(ascii: "m") {
                third.removeLast()
            } else if index + 2 < second.count {
                let afterNext = second[index + 2]
                if (next == UInt8(ascii: "r") || next == UInt8(ascii: "v")) && afterNext == UInt8(ascii: "e") {
                    third.removeLast()
                }
            }
        }
        third.append(byte)
    }
    return third
}
