import Foundation
import Transformer

/// An article ready for summarize and ask: decoded, cleaned, split into numbered sentences, with its
/// language detected. Sentence n is cited as `[S n]` and maps back to a line of the user's file.
public struct Article: Sendable {
    public let cleaned: CleanedText
    public let sentences: [Sentence]
    public let language: TextLanguage

    public init(cleaned: CleanedText) throws(TextInputError) {
        self.cleaned = cleaned
        sentences = SentenceSplitter().split(cleaned)
        guard !sentences.isEmpty else { throw .empty(name: cleaned.sourceName) }
        language = TextLanguage.detect(cleaned.text)
    }

    /// Reads `path` ("-" for stdin).
    public static func load(path: String) throws -> Article {
        let input = try InputFile.read(path)
        return try Article(cleaned: TextCleaner().clean(try TextDecoder.decode(input.bytes, name: input.name)))
    }

    public var sentenceTexts: [String] { sentences.map(\.text) }

    /// The line of the original file where sentence `number` (1-based) starts.
    public func line(ofSentence number: Int) -> Int? {
        sentences.indices.contains(number - 1) ? sentences[number - 1].source.line : nil
    }
}
