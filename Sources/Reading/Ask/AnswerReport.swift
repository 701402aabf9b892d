import Foundation

/// An answer as `llmrun ask --json` prints it and `POST /v1/ask` returns it (one type, so that the two
/// cannot drift apart): the answer, its citations with file, line and sentence, the same citations grouped
/// by file (in the order the files were given, only files cited), and for a refusal the closest sentence.
public struct AnswerReport: Encodable, Sendable {
    public struct Citation: Encodable, Sendable {
        /// "S12": the sentence's number across all articles.
        public let id: String
        public let file: String
        public let line: Int
        public let sentence: String
    }

    /// The citations of one file.
    public struct FileCitations: Encodable, Sendable {
        public let file: String
        public let citations: [Citation]
    }

    public let question: String
    public let answer: String
    public let answered: Bool
    public let language: String
    public let citations: [Citation]
    public let files: [FileCitations]
    public let closest: Citation?
    public let translatedQuestion: String?
    public let shownSentences: [Int]
    public let promptTokens: Int
    public let generatedTokens: Int
    public let seconds: Double

    enum CodingKeys: String, CodingKey {
        case question, answer, answered, language, citations, files, closest, seconds
        case translatedQuestion = "translated_question"
        case shownSentences = "shown_sentences"
        case promptTokens = "prompt_tokens"
        case generatedTokens = "generated_tokens"
    }

    public init(_ answer: Answer, question: String, retriever: PassageRetriever) {
        func citation(_ number: Int) -> Citation? {
            retriever.location(ofSentence: number).map {
                Citation(id: "S\(number)", file: $0.file, line: $0.line, sentence: retriever.sentences[number - 1].text)
            }
        }
        self.question = question
        self.answer = answer.text
        answered = answer.answered
        language = answer.language.rawValue
        let cited = answer.citations.compactMap(citation)
        citations = cited
        files = retriever.articles.map(\.cleaned.sourceName).map { file in
            FileCitations(file: file, citations: cited.filter { $0.file == file })
        }.filter { !$0.citations.isEmpty }
        closest = answer.closest.flatMap(citation)
        translatedQuestion = answer.translatedQuestion
        shownSentences = answer.shownSentences
        promptTokens = answer.promptTokens
        generatedTokens = answer.generatedTokens
        seconds = answer.seconds
    }

    /// The citations as lines for a terminal, `[S12] file:line: sentence`, the closest sentence of a
    /// refusal first (`closest: …`).
    public var citationLines: [String] {
        let closestLine = closest.map { "closest: " + Self.line($0) }
        return (closestLine.map { [$0] } ?? []) + citations.map(Self.line)
    }

    static func line(_ citation: Citation) -> String {
        "[\(citation.id)] \(citation.file):\(citation.line): \(citation.sentence)"
    }
}
