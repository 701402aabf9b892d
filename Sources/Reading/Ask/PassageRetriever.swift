import Foundation
import Transformer

/// A sentence of one of the articles being searched, numbered across all of them (`[S#]`).
public struct SourcedSentence: Sendable, Equatable {
    /// 1-based, across all articles in order.
    public let number: Int
    /// Which article (index into the retriever's `articles`).
    public let articleIndex: Int
    public let sentence: Sentence
    public var text: String { sentence.text }
}

/// A few consecutive sentences of one paragraph: the unit that is scored and shown to the model.
public struct Passage: Sendable, Equatable {
    public let sentences: [SourcedSentence]
    public var text: String { sentences.map(\.text).joined() }
}

public struct ScoredPassage: Sendable {
    public let passage: Passage
    /// BM25 score.
    public let score: Double
    /// The share of the question's term weight (IDF) that this passage contains, 0...1.
    public let coverage: Double
}

/// BM25 over the passages of one or more articles (no external service, no model). Terms are words and
/// CJK character bigrams (`SearchTerms`), normalized so that width, case, script and the spacing of Latin
/// names do not matter. Retrieval never decides that the articles do not answer a question: it ranks, and
/// the model, shown the best passages, decides.
public struct PassageRetriever: Sendable {
    public let articles: [Article]
    public let sentences: [SourcedSentence]
    public let passages: [Passage]
    private let passageTerms: [[String: Int]]
    private let passageLengths: [Int]
    private let documentFrequency: [String: Int]
    private let averageLength: Double
    /// Passages holding a figure (digits, Chinese numerals folded): what answers a question asking for an amount.
    private let holdsFigure: [Bool]

    /// BM25 term-frequency saturation and length normalization, the usual values.
    let k1 = 1.2
    let b = 0.75

    /// - Parameter passageLength: passages gather whole sentences of one paragraph up to about this many characters.
    public init(articles: [Article], passageLength: Int = 160) {
        self.articles = articles
        var sentences: [SourcedSentence] = []
        var passages: [Passage] = []
        for (articleIndex, article) in articles.enumerated() {
            var current: [SourcedSentence] = []
            var currentLength = 0
            for (position, sentence) in article.sentences.enumerated() {
                let sourced = SourcedSentence(number: sentences.count + 1, articleIndex: articleIndex, sentence: sentence)
                sentences.append(sourced)
                let newParagraph = position > 0 && article.startsParagraph(sentenceAt: position)
                if !current.isEmpty, newParagraph || currentLength + sentence.text.count > passageLength {
                    passages.append(Passage(sentences: current))
                    current = []
                    currentLength = 0
                }
                current.append(sourced)
                currentLength += sentence.text.count
            }
            if !current.isEmpty { passages.append(Passage(sentences: current)) }
        }
        self.sentences = sentences
        self.passages = passages
        passageTerms = passages.map { passage in
            SearchTerms.indexTerms(of: passage.text).reduce(into: [:]) { $0[$1, default: 0] += 1 }
        }
        passageLengths = passageTerms.map { $0.values.reduce(0, +) }
        documentFrequency = passageTerms.reduce(into: [:]) { frequency, terms in
            for term in terms.keys { frequency[term, default: 0] += 1 }
        }
        holdsFigure = passageTerms.map { terms in terms.keys.contains { $0.contains(where: \.isNumber) } }
        averageLength = passages.isEmpty ? 1 : max(1, Double(passageLengths.reduce(0, +)) / Double(passages.count))
    }

    /// Inverse document frequency (BM25's, never negative). A term found nowhere gets the highest weight,
    /// so a question about something the articles do not mention has little coverage.
    func idf(_ term: String) -> Double {
        idf(frequency: documentFrequency[term] ?? 0)
    }

    /// The inverse document frequency of something found in `frequency` passages.
    func idf(frequency: Int) -> Double {
        let count = Double(passages.count)
        return log(1 + (count - Double(frequency) + 0.5) / (Double(frequency) + 0.5))
    }

    /// The passages that best match `question`, best first, at most `limit`; passages sharing no term are left out.
    /// A question asking for an amount ("多少", "how many") counts a figure in a passage as one more term found,
    /// weighted like a term in as many passages: its words name what is counted, which the passages around the
    /// answer name too, and often more times.
    public func search(_ question: String, limit: Int = 8) -> [ScoredPassage] {
        let query = SearchTerms.queryTerms(of: question)
        guard !query.isEmpty else { return [] }
        let weights = query.map(idf)
        let figureWeight = SearchTerms.asksForAmount(question) ? idf(frequency: holdsFigure.filter { $0 }.count) : 0
        let totalWeight = weights.reduce(0, +)
        var scored: [ScoredPassage] = []
        for (index, terms) in passageTerms.enumerated() {
            var score = 0.0
            var matchedWeight = 0.0
            let lengthNorm = k1 * (1 - b + b * Double(passageLengths[index]) / averageLength)
            for (term, weight) in zip(query, weights) {
                guard let frequency = terms[term] else { continue }
                let tf = Double(frequency)
                score += weight * tf * (k1 + 1) / (tf + lengthNorm)
                matchedWeight += weight
            }
            guard score > 0 else { continue }
            if holdsFigure[index] { score += figureWeight * (k1 + 1) / (1 + lengthNorm) }
            scored.append(ScoredPassage(passage: passages[index], score: score, coverage: totalWeight > 0 ? matchedWeight / totalWeight : 0))
        }
        return Array(scored.sorted { $0.score > $1.score }.prefix(limit))
    }

    /// The retrieval query for `question` asked after `history`: the question, then the most distinctive
    /// terms of the latest turn, so that a follow-up whose subject is a pronoun ("他什么时候说的？") finds
    /// the passages about what the conversation was about: the rarest terms of its question (what was asked
    /// about), of its answer (what a pronoun most likely names) and of the sentences the answer cited (the
    /// same in the articles' language, for a conversation in another), `termsPerText` of each, counting only
    /// terms the articles contain and the question lacks; the turn before adds its own while fewer than
    /// `maxTerms` are found (after a refusal, say). At most `maxTerms`, so that a question naming a new subject
    /// in a few words still outweighs them.
    public func followUpQuery(_ question: String, after history: [ChatTurn], termsPerText: Int = 3, maxTerms: Int = 6) -> String {
        var seen = Set(SearchTerms.queryTerms(of: question))
        var added: [String] = []
        for turn in history.suffix(2).reversed() {
            // A refusal's words ("文章没有回答这个问题") say nothing about the subject.
            let answer = QuestionAnswerer.saysNotFound(turn.assistant) ? "" : turn.assistant
            for text in [turn.user, answer, turn.citedSentences.joined(separator: "\n")] {
                let distinctive = SearchTerms.queryTerms(of: text)
                    .filter { documentFrequency[$0] != nil && !seen.contains($0) }
                    .sorted { idf($0) > idf($1) }
                    .prefix(min(termsPerText, maxTerms - added.count))
                for term in distinctive where seen.insert(term).inserted { added.append(term) }
            }
        }
        return added.isEmpty ? question : question + "\n" + added.joined(separator: " ")
    }

    /// The passages to show a model for `question`, best first: BM25's, or, when no passage shares a term
    /// with the question (a paraphrase sharing no two-character word), the passages sharing the most
    /// weighted single characters and words. Empty only when the question has no content at all.
    public func candidates(for question: String, limit: Int = 8) -> [ScoredPassage] {
        let found = search(question, limit: limit)
        return found.isEmpty ? searchCharacters(question, limit: limit) : found
    }

    /// The fallback ranking: each distinct character of the question (Han characters, and Latin words as
    /// wholes) that a passage contains adds its IDF over passages.
    func searchCharacters(_ question: String, limit: Int) -> [ScoredPassage] {
        var units = Set<String>()
        for term in SearchTerms.queryTerms(of: question) {
            if term.unicodeScalars.contains(where: { $0.properties.isIdeographic }) {
                units.formUnion(term.map(String.init))
            } else {
                units.insert(term)
            }
        }
        guard !units.isEmpty else { return [] }
        let texts = passages.map { SearchTerms.normalized($0.text) }
        let count = Double(passages.count)
        let weights = units.map { unit -> (String, Double) in
            let frequency = Double(texts.filter { $0.contains(unit) }.count)
            return (unit, log(1 + (count - frequency + 0.5) / (frequency + 0.5)))
        }
        let totalWeight = weights.map(\.1).reduce(0, +)
        var scored: [ScoredPassage] = []
        for (index, text) in texts.enumerated() {
            let score = weights.filter { text.contains($0.0) }.map(\.1).reduce(0, +)
            guard score > 0 else { continue }
            scored.append(ScoredPassage(passage: passages[index], score: score, coverage: totalWeight > 0 ? score / totalWeight : 0))
        }
        return Array(scored.sorted { $0.score > $1.score }.prefix(limit))
    }

    /// Where sentence `number` is: its article's file name and its line in the original file.
    public func location(ofSentence number: Int) -> (file: String, line: Int)? {
        guard sentences.indices.contains(number - 1) else { return nil }
        let sentence = sentences[number - 1]
        return (articles[sentence.articleIndex].cleaned.sourceName, sentence.sentence.source.line)
    }
}

extension Article {
    /// True when a line break separates sentence `position` (0-based) from the one before it.
    func startsParagraph(sentenceAt position: Int) -> Bool {
        guard position > 0, sentences.indices.contains(position) else { return position == 0 }
        let gap = sentences[position - 1].scalarRange.upperBound..<sentences[position].scalarRange.lowerBound
        return cleaned.scalars[gap].contains("\n")
    }
}
