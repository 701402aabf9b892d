/// The Unicode facts llama.cpp's pre-tokenizers look at, per code point.
///
/// llama.cpp classifies with its own tables (`unicode-data.cpp`), generated from Unicode 15. Swift's
/// `generalCategory` follows a newer Unicode; comparing every code point shows the only differences are
/// characters assigned in Unicode 16 and later, which llama.cpp sees as unassigned. So: Swift's category,
/// except that anything newer than Unicode 15 counts as unassigned (neither letter, number, punctuation
/// nor whitespace).
struct CodepointCategory: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = CodepointCategory(rawValue: 1 << 0)
    static let number = CodepointCategory(rawValue: 1 << 1)
    static let whitespace = CodepointCategory(rawValue: 1 << 2)
    /// General category P* (as llama.cpp's `\p{P}` over non-ASCII text).
    static let punctuation = CodepointCategory(rawValue: 1 << 3)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    @inline(__always)
    static func of(_ codepoint: UInt32) -> CodepointCategory {
        if codepoint < 0x1_0000 { return basicPlane[Int(codepoint)] }
        return compute(codepoint)
    }

    /// Precomputed for the Basic Multilingual Plane, where nearly all text lives.
    private static let basicPlane: [CodepointCategory] = (0..<0x1_0000).map { compute(UInt32($0)) }

    private static func compute(_ codepoint: UInt32) -> CodepointCategory {
        guard let scalar = Unicode.Scalar(codepoint) else { return [] }
        let properties = scalar.properties
        var result: CodepointCategory = []
        // llama.cpp's fixed whitespace set is exactly Unicode's White_Space property.
        if properties.isWhitespace { result.insert(.whitespace) }
        guard let age = properties.age, age.major <= 15 else { return result }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default:
            break
        }
        return result
    }
}
