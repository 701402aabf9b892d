/// Splits a text fragment into words the way llama.cpp's `unicode_regex_split` does for the supported
/// pre-tokenizers. The GPT-2 and Llama 3 / Qwen2 regexes are hand-written scanners in llama.cpp, and so
/// are they here; the other regexes llama.cpp runs through `std::regex` are simple character-class
/// patterns, implemented as leftmost-match scans.
///
/// Works on code points; the result is the end index (exclusive) of every word, in order.
struct WordSplitter {
    let codepoints: UnsafeBufferPointer<UInt32>
    let categories: [CodepointCategory]

    init(codepoints: UnsafeBufferPointer<UInt32>) {
        self.codepoints = codepoints
        categories = codepoints.map { CodepointCategory.of($0) }
    }

    func wordEnds(_ preTokenizer: PreTokenizer) -> [Int] {
        let whole = [codepoints.count]
        switch preTokenizer {
        case .gpt2:
            return refine(whole, gpt2)
        case .qwen2:
            return refine(whole) { llama3(start: $0, end: $1, maximumDigits: 1, into: &$2) }
        case .llama3:
            return refine(whole) { llama3(start: $0, end: $1, maximumDigits: 3, into: &$2) }
        case .digitsThenGPT2:
            // `\p{N}`: every number on its own.
            let digits = refine(whole) { regexSplit(start: $0, end: $1, into: &$2) { position, _ in isNumber(position) ? 1 : 0 } }
            return refine(digits, gpt2)
        case .llamaDefault:
            // `[\p{P}\$\+<=>\^~\|]+`, GPT-2, `\p{N}+`, `[0-9][0-9][0-9]`.
            var ends = refine(whole) { regexSplit(start: $0, end: $1, into: &$2) { run(from: $0, to: $1, where: isDefaultPunctuation) } }
            ends = refine(ends, gpt2)
            ends = refine(ends) { regexSplit(start: $0, end: $1, into: &$2) { run(from: $0, to: $1, where: isNumber) } }
            return refine(ends) { regexSplit(start: $0, end: $1, into: &$2) { position, end in
                position + 3 <= end && (position..<position + 3).allSatisfy { isASCIIDigit(codepoints[$0]) } ? 3 : 0
            } }
        }
    }

    /// Applies one splitting step inside each existing word, as llama.cpp chains its regexes.
    private func refine(_ ends: [Int], _ step: (Int, Int, inout [Int]) -> Void) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(ends.count * 2)
        var start = 0
        for end in ends {
            step(start, end, &result)
            start = end
        }
        return result
    }

    // MARK: - Categories as llama.cpp's collapsed regexes see them

    @inline(__always) private func isNumber(_ position: Int) -> Bool { categories[position].contains(.number) }

    private func isDefaultPunctuation(_ position: Int) -> Bool {
        let codepoint = codepoints[position]
        if codepoint < 0x80 {
            // \p{P} over ASCII is llama.cpp's fixed set !"#%&'()*,-./:;?@[\]_{} ; plus $+<=>^~|.
            switch UInt8(codepoint) {
            case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D,
                 0x24, 0x2B, 0x3C...0x3E, 0x5E, 0x7E, 0x7C:
                return true
            default:
                return false
            }
        }
        let category = categories[position]
        return category.contains(.punctuation) && !category.contains(.whitespace)
    }

    @inline(__always) private func isASCIIDigit(_ codepoint: UInt32) -> Bool { codepoint >= 0x30 && codepoint <= 0x39 }

    private func run(from position: Int, to end: Int, where isMember: (Int) -> Bool) -> Int {
        var cursor = position
        while cursor < end, isMember(cursor) { cursor += 1 }
        return cursor - position
    }

    /// `std::regex_iterator` semantics for patterns that never match empty: leftmost matches, with the
    /// text between matches kept as words of its own. `matchLength` gives 0 for no match at a position.
    private func regexSplit(start: Int, end: Int, into ends: inout [Int], matchLength: (Int, Int) -> Int) {
        var position = start
        var previousEnd = start
        while position < end {
            let length = matchLength(position, end)
            if length > 0 {
                if position > previousEnd { ends.append(position) }
                position += length
                ends.append(position)
                previousEnd = position
            } else {
                position += 1
            }
        }
        if previousEnd < end { ends.append(end) }
    }

    // MARK: - Hand-written scanners (llama.cpp's unicode_regex_split_custom_*)

    private static let apostrophe: UInt32 = 0x27

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `position`, optionally ignoring ASCII case; the match length or 0.
    private func contractionLength(at position: Int, end: Int, ignoringCase: Bool) -> Int {
        guard codepoints[position] == Self.apostrophe, position + 1 < end else { return 0 }
        func letter(_ index: Int) -> UInt32 {
            let codepoint = codepoints[index]
            return ignoringCase && codepoint >= 0x41 && codepoint <= 0x5A ? codepoint + 0x20 : codepoint
        }
        let next = letter(position + 1)
        if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { return 2 }  // s t m d
        guard position + 2 < end else { return 0 }
        let afterNext = letter(position + 2)
        if (next == 0x72 && afterNext == 0x65) || (next == 0x76 && afterNext == 0x65) || (next == 0x6C && afterNext == 0x6C) {
            return 3  // re ve ll
        }
        return 0
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    private func gpt2(start: Int, end: Int, into ends: inout [Int]) {
        // Categories outside the word are "none", which stops every run (llama.cpp's OUT_OF_RANGE).
        func category(_ index: Int) -> CodepointCategory? { index < end ? categories[index] : nil }
        var position = start
        while position < end {
            let codepoint = codepoints[position]
            let contraction = contractionLength(at: position, end: end, ignoringCase: false)
            if contraction > 0 {
                position += contraction
                ends.append(position)
                continue
            }
            let isSpace = codepoint == 0x20
            let lookahead = isSpace ? category(position + 1) : category(position)
            if let first = lookahead {
                let kinds: [CodepointCategory] = [.letter, .number]
                var matched = false
                for kind in kinds where first.contains(kind) {
                    if isSpace { position += 1 }
                    while let next = category(position), next.contains(kind) { position += 1 }
                    ends.append(position)
                    matched = true
                    break
                }
                if matched { continue }
                if first.isDisjoint(with: [.whitespace, .letter, .number]) {
                    if isSpace { position += 1 }
                    while let next = category(position), next.isDisjoint(with: [.whitespace, .letter, .number]) { position += 1 }
                    ends.append(position)
                    continue
                }
            }
            var whitespaceCount = 0
            while let next = category(position + whitespaceCount), next.contains(.whitespace) { whitespaceCount += 1 }
            if whitespaceCount > 1 && position + whitespaceCount < end {
                // `\s+(?!\S)`: leave the last space to prefix the next word.
                position += whitespaceCount - 1
                ends.append(position)
                continue
            }
            if whitespaceCount > 0 {
                position += whitespaceCount
                ends.append(position)
                continue
            }
            position += 1
            ends.append(position)
        }
    }

    /// Llama 3 (`maximumDigits` 3) and Qwen2 (1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    private func llama3(start: Int, end: Int, maximumDigits: Int, into ends: inout [Int]) {
        func category(_ index: Int) -> CodepointCategory? { index < end ? categories[index] : nil }
        func isNewline(_ codepoint: UInt32) -> Bool { codepoint == 0x0D || codepoint == 0x0A }
        var position = start
        while position < end {
            let codepoint = codepoints[position]
            let current = categories[position]
            let contraction = contractionLength(at: position, end: end, ignoringCase: true)
            if contraction > 0 {
                position += contraction
                ends.append(position)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !isNewline(codepoint) && !current.contains(.number) {
                if current.contains(.letter) || (category(position + 1)?.contains(.letter) ?? false) {
                    position += 1
                    while let next = category(position), next.contains(.letter) { position += 1 }
                    ends.append(position)
                    continue
                }
            }
            // `\p{N}{1,maximumDigits}`
            if current.contains(.number) {
                var groupStart = position
                while let next = category(position), next.contains(.number) {
                    position += 1
                    if position - groupStart >= maximumDigits {
                        ends.append(position)
                        groupStart = position
                    }
                }
                if position > groupStart { ends.append(position) }
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`; a lone space at the end of the word also lands here.
            let isSpace = codepoint == 0x20
            let lookahead = isSpace ? category(position + 1) : current
            if (lookahead ?? []).isDisjoint(with: [.whitespace, .letter, .number]) {
                if isSpace { position += 1 }
                while let next = category(position), next.isDisjoint(with: [.whitespace, .letter, .number]) { position += 1 }
                while position < end, isNewline(codepoints[position]) { position += 1 }
                ends.append(position)
                continue
            }
            var whitespaceCount = 0
            var afterLastNewline = 0
            while let next = category(position + whitespaceCount), next.contains(.whitespace) {
                if isNewline(codepoints[position + whitespaceCount]) { afterLastNewline = position + whitespaceCount + 1 }
                whitespaceCount += 1
            }
            // `\s*[\r\n]+`
            if afterLastNewline > 0 {
                position = afterLastNewline
                ends.append(position)
                continue
            }
            if whitespaceCount > 1 && position + whitespaceCount < end {
                position += whitespaceCount - 1
                ends.append(position)
                continue
            }
            if whitespaceCount > 0 {
                position += whitespaceCount
                ends.append(position)
                continue
            }
            position += 1
            ends.append(position)
        }
    }
}
