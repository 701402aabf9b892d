/// Turns ids into text one at a time while generating, never splitting a UTF-8 character: bytes of an
/// incomplete multi-byte character are held back until the rest arrives, and `flush()` releases whatever
/// is left at the end. The concatenation of all returned chunks equals `tokenizer.decode(ids,
/// renderSpecial:)` (apart from llama.cpp's clean-up-spaces pass, which needs the whole text and no
/// supported Qwen/SmolLM/Gemma model uses).
public struct StreamingDetokenizer {
    public let tokenizer: any Tokenizer
    /// Render control tokens such as `<|im_end|>` as text (default: not rendered, as llama.cpp).
    public let rendersSpecialTokens: Bool

    private var pending: [UInt8] = []
    private var isFirstToken = true

    public init(tokenizer: any Tokenizer, rendersSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.rendersSpecialTokens = rendersSpecialTokens
    }

    /// The text that became complete with `id`; often empty in the middle of a multi-byte character.
    public mutating func append(_ id: Int32) -> String {
        var piece = tokenizer.pieceBytes(id, renderSpecial: rendersSpecialTokens)
        if isFirstToken, tokenizer.stripsLeadingSpaceWhenDecoding, piece.first == 0x20 {
            piece.removeFirst()
        }
        isFirstToken = false
        pending.append(contentsOf: piece)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is still held back; an unfinished character becomes U+FFFD.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Everything except a trailing, so far valid, but unfinished UTF-8 sequence. Invalid bytes are not
    /// held (they will never complete): they are released and decode as U+FFFD.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // A character has at most 4 bytes: look back at most 3 for the lead byte of an unfinished one.
        var index = count - 1
        while index >= 0, index >= count - 3 {
            let byte = bytes[index]
            if byte & 0xC0 == 0x80 {  // continuation byte: keep looking for its lead
                index -= 1
                continue
            }
            let needed: Int
            switch byte {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: return count  // ASCII or an invalid byte: nothing worth waiting for
            }
            return count - index < needed && Self.isValidPrefix(bytes[index...]) ? index : count
        }
        return count
    }

    /// Whether `bytes` (a lead byte and some continuation bytes) can still become a valid character.
    private static func isValidPrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let lead = bytes.first else { return false }
        let second = bytes.dropFirst().first
        // The second byte's range is narrower after some lead bytes (no overlongs, surrogates or > U+10FFFF).
        if let second {
            switch lead {
            case 0xE0: if second < 0xA0 { return false }
            case 0xED: if second > 0x9F { return false }
            case 0xF0: if second < 0x90 { return false }
            case 0xF4: if second > 0x8F { return false }
            default: break
            }
        }
        return true
    }
}
