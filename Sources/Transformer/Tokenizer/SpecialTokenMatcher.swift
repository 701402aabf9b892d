#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits text around special tokens written in it, exactly as llama.cpp's `tokenizer_st_partition`:
/// special tokens (control, user-defined, unknown) are taken longest first, and each one splits every
/// remaining text fragment at all of its non-overlapping occurrences, left to right. Control and unknown
/// tokens take part only when parsing special tokens; user-defined tokens always do.
struct SpecialTokenMatcher: Sendable {
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    /// Special token ids in matching order: longest text first (ties by id; llama.cpp's order for ties is
    /// unspecified and only matters for overlapping tokens of equal length).
    private let orderedIDs: [Int32]
    private let orderedTexts: [[UInt8]]
    private let orderedAttributes: [TokenAttributes]
    /// A trie over the special texts, used to find which of them occur in a text at all, so that the
    /// llama.cpp algorithm runs only over those (Gemma has thousands of special tokens).
    private let edges: [UInt64: Int32]
    private let terminalOrder: [Int32]
    private let startsToken: [Bool]

    init(texts: TokenTextTable, attributes: [TokenAttributes]) {
        let special: TokenAttributes = [.control, .userDefined, .unknown]
        let ids = (0..<texts.count).filter { !attributes[$0].isDisjoint(with: special) && texts.length(of: $0) > 0 }
        let sorted = ids.sorted { a, b in
            let (la, lb) = (texts.length(of: a), texts.length(of: b))
            return la != lb ? la > lb : a < b
        }
        orderedIDs = sorted.map { Int32($0) }
        orderedTexts = sorted.map { Array(texts.text(of: $0)) }
        orderedAttributes = sorted.map { attributes[$0] }

        var edges: [UInt64: Int32] = [:]
        var terminalOrder: [Int32] = [-1]
        var startsToken = [Bool](repeating: false, count: 256)
        for (order, text) in orderedTexts.enumerated() {
            var node: Int32 = 0
            startsToken[Int(text[0])] = true
            for byte in text {
                let key = UInt64(node) << 8 | UInt64(byte)
                if let next = edges[key] {
                    node = next
                } else {
                    let next = Int32(terminalOrder.count)
                    terminalOrder.append(-1)
                    edges[key] = next
                    node = next
                }
            }
            // Same text twice: the first in matching order is the one that can ever match.
            if terminalOrder[Int(node)] < 0 { terminalOrder[Int(node)] = Int32(order) }
        }
        self.edges = edges
        self.terminalOrder = terminalOrder
        self.startsToken = startsToken
    }

    func partition(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        guard text.count > 0 else { return [] }
        let candidates = occurringTokens(in: text).filter {
            parseSpecial || orderedAttributes[$0].isDisjoint(with: [.control, .unknown])
        }
        var fragments: [Fragment] = [.text(0..<text.count)]
        for order in candidates {
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 2)
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                split(range, of: text, at: order, into: &next)
            }
            fragments = next
        }
        return fragments
    }

    /// Order indices of the special tokens that occur anywhere in `text`, ascending.
    private func occurringTokens(in text: UnsafeBufferPointer<UInt8>) -> [Int] {
        guard !orderedIDs.isEmpty else { return [] }
        var found = Set<Int>()
        for start in 0..<text.count where startsToken[Int(text[start])] {
            var node: Int32 = 0
            var position = start
            while position < text.count, let child = edges[UInt64(node) << 8 | UInt64(text[position])] {
                node = child
                position += 1
                let order = terminalOrder[Int(node)]
                if order >= 0 { found.insert(Int(order)) }
            }
        }
        return found.sorted()
    }

    private func split(_ range: Range<Int>, of text: UnsafeBufferPointer<UInt8>, at order: Int, into output: inout [Fragment]) {
        let needle = orderedTexts[order]
        let attributes = orderedAttributes[order]
        var remaining = range
        while !remaining.isEmpty {
            guard let match = find(needle, in: text, range: remaining) else {
                output.append(.text(remaining))
                return
            }
            var left = remaining.lowerBound..<match
            if attributes.contains(.leftStrip) {
                while !left.isEmpty, Self.isCSpace(text[left.upperBound - 1]) { left = left.lowerBound..<(left.upperBound - 1) }
            }
            if !left.isEmpty { output.append(.text(left)) }
            output.append(.token(orderedIDs[order]))
            var rightStart = match + needle.count
            if attributes.contains(.rightStrip) {
                while rightStart < remaining.upperBound, Self.isCSpace(text[rightStart]) { rightStart += 1 }
            }
            remaining = rightStart..<remaining.upperBound
        }
    }

    private func find(_ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> Int? {
        guard range.count >= needle.count, let base = text.baseAddress else { return nil }
        // memchr for the first byte, then compare the rest (glibc's memmem is not visible to Swift).
        let first = Int32(needle[0])
        var position = range.lowerBound
        let lastStart = range.upperBound - needle.count
        while position <= lastStart {
            guard let hit = memchr(base + position, first, lastStart - position + 1) else { return nil }
            let start = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            let matches = (1..<needle.count).allSatisfy { base[start + $0] == needle[$0] }
            if matches { return start }
            position = start + 1
        }
        return nil
    }

    /// C `isspace` in the "C" locale, which llama.cpp uses for stripping.
    private static func isCSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }
}
