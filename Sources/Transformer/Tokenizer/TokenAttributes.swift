/// Per-token attributes as llama.cpp derives them from `tokenizer.ggml.token_type`
/// (UNDEFINED 0, NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6).
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt16

    static let undefined = TokenAttributes(rawValue: 1 << 0)
    static let unknown = TokenAttributes(rawValue: 1 << 1)
    static let unused = TokenAttributes(rawValue: 1 << 2)
    static let normal = TokenAttributes(rawValue: 1 << 3)
    static let control = TokenAttributes(rawValue: 1 << 4)
    static let userDefined = TokenAttributes(rawValue: 1 << 5)
    static let byte = TokenAttributes(rawValue: 1 << 6)
    /// Strip whitespace left/right of the token when it is matched in text (set per model by llama.cpp).
    static let leftStrip = TokenAttributes(rawValue: 1 << 7)
    static let rightStrip = TokenAttributes(rawValue: 1 << 8)

    /// Tokens `token_to_piece` renders only when asked to render special tokens.
    static let hiddenUnlessSpecial: TokenAttributes = [.unknown, .control]

    init(rawValue: UInt16) { self.rawValue = rawValue }

    init(ggufTokenType: Int) {
        switch ggufTokenType {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = .undefined
        }
    }
}
