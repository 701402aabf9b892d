import Foundation
import Testing
@testable import Reading
import Transformer
import TestSupport

/// The committed question set (`Fixtures/ask/questions.json`): questions written after reading the five
/// shared articles, a third in the articles' words, a third paraphrased (other words, the other script,
/// English), and some that the articles do not answer.
struct AskQuestionSet: Decodable {
    struct Question: Decodable, Sendable, CustomStringConvertible {
        enum Kind: String, Decodable, Sendable, CaseIterable { case verbatim, paraphrase, unanswerable }
        let id: Int
        let kind: Kind
        /// File-name prefixes of the articles asked about.
        let articles: [String]
        let question: String
        /// Any one of them in the answer makes it right.
        let answers: [String]
        /// Pieces of the sentences that answer; citing one of them is citing the evidence.
        let evidence: [String]
        var description: String { "#\(id) \(question)" }
    }

    let questions: [Question]

    static func load() throws -> AskQuestionSet {
        try JSONDecoder().decode(AskQuestionSet.self, from: try TestSupport.fixture("ask/questions.json"))
    }

    static func articles(_ prefixes: [String]) throws -> [Article] {
        let files = try TestSupport.articles()
        return try prefixes.map { prefix in
            let url = try #require(files.first { $0.lastPathComponent.hasPrefix(prefix) }, "no article \(prefix)*")
            return try Article.load(path: url.path)
        }
    }

    /// Width, case and script folded, spaces dropped: "40 亿" is "40亿", "書生" is "书生".
    static func folded(_ text: String) -> String {
        SearchTerms.normalized(text).filter { !$0.isWhitespace }
    }

    static func contains(_ text: String, anyOf pieces: [String]) -> Bool {
        let haystack = folded(text)
        return pieces.contains { haystack.contains(folded($0)) }
    }
}

/// Checks of the fixture itself and of retrieval alone (no model).
@Suite struct AskQuestionSetFixtureTests {
    @Test func theSetHasTheShapeTheIssueAsksFor() throws {
        let set = try AskQuestionSet.load()
        let count = { (kind: AskQuestionSet.Question.Kind) in set.questions.filter { $0.kind == kind }.count }
        #expect(set.questions.count >= 60)
        #expect(count(.unanswerable) >= 10)
        #expect(count(.verbatim) * 4 >= set.questions.count && count(.paraphrase) * 4 >= set.questions.count)
        #expect(Set(set.questions.map(\.id)).count == set.questions.count)
        for question in set.questions {
            #expect(question.kind == .unanswerable ? question.answers.isEmpty && question.evidence.isEmpty
                                                   : !question.answers.isEmpty && !question.evidence.isEmpty, "\(question)")
        }
    }

    /// Every evidence piece is in a sentence of the question's articles, and holds an accepted answer or
    /// is on the way to one (so that a typo in the fixture fails here, not as a wrong answer).
    @Test func evidenceIsInTheArticles() throws {
        for question in try AskQuestionSet.load().questions where question.kind != .unanswerable {
            let sentences = try AskQuestionSet.articles(question.articles).flatMap(\.sentenceTexts)
            for piece in question.evidence {
                #expect(sentences.contains { AskQuestionSet.contains($0, anyOf: [piece]) }, "\(question): \(piece)")
            }
        }
    }

    /// The evidence sentence is among the first passages the retriever ranks (what the model is shown
    /// comes from these).
    @Test func retrievalRanksTheEvidenceHigh() throws {
        var found = 0
        var missed: [String] = []
        let answerable = try AskQuestionSet.load().questions.filter { $0.kind != .unanswerable }
        for question in answerable {
            let retriever = PassageRetriever(articles: try AskQuestionSet.articles(question.articles))
            let top = retriever.candidates(for: question.question).prefix(4).map(\.passage.text)
            if top.contains(where: { AskQuestionSet.contains($0, anyOf: question.evidence) }) { found += 1 } else { missed.append(question.description) }
        }
        print("retrieval: evidence in the top 4 passages for \(found)/\(answerable.count); missed: \(missed)")
        // Measured 2026-12-05; BENCHMARKS.md "Ask: the question set".
        #expect(found * 100 >= answerable.count * 85, "missed: \(missed)")
    }
}
