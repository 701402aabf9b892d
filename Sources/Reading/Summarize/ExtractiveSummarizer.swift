import Foundation
import Transformer

/// A summary made of the article's own sentences, with no model: fast, and an honest baseline for the
/// generative summary. Each sentence is scored by
/// - centrality: cosine similarity of its TF-IDF vector to the article's centroid (what the article is about),
/// - keyword weight: how much of the article's recurring vocabulary (TF × IDF over sentences) it carries,
/// - position: news puts the essentials first, and a paragraph's first sentence states its topic;
/// then the best sentences are taken in score order, skipping near-repeats of sentences already taken, and
/// given back in the article's order, each citing itself (`[S#]`).
public struct ExtractiveSummarizer: Sendable {
    /// Sentences shorter than this (headings, captions, fragments) are not picked.
    public var minimumLength = 15
    /// Sentences longer than this are not picked: a point should read as one statement.
    public var maximumLength = 220
    /// A sentence this similar (cosine) to one already picked is a repeat.
    public var redundancy = 0.5

    public init() {}

    public func summarize(_ article: Article, length: SummaryLength) -> Summary {
        let start = Date()
        let vocabulary = ArticleVocabulary(sentences: article.sentences.map(\.text))
        let scores = score(article, vocabulary: vocabulary)
        var chosen = pick(length.pointCount, from: Array(scores.indices), texts: article.sentences.map(\.text), scores: scores,
                          vectors: vocabulary.vectors)
        // An article made only of very short or very long sentences still gets its best sentence.
        if chosen.isEmpty, let best = scores.indices.max(by: { scores[$0] < scores[$1] }) { chosen = [best] }
        var summary = Summary(language: article.language)
        summary.points = chosen.sorted().map { SummaryPoint(text: article.sentences[$0].text, citations: [$0 + 1]) }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// Up to `count` of the candidate sentences (indices into `texts`), best score first, of a readable length,
    /// readable alone and no near-repeat of one already taken; in the article's order.
    func pick(_ count: Int, from candidates: [Int], texts: [String], scores: [Double], vectors: [[String: Double]]) -> [Int] {
        var chosen: [Int] = []
        for index in candidates.sorted(by: { scores[$0] > scores[$1] }) where chosen.count < count {
            guard (minimumLength...maximumLength).contains(texts[index].count), !Self.leansOnThePrevious(texts[index]),
                  !chosen.contains(where: { ArticleVocabulary.cosine(vectors[$0], vectors[index]) >= redundancy })
            else { continue }
            chosen.append(index)
        }
        return chosen.sorted()
    }

    /// Words that, opening a sentence, point back to the one before ("他首先提出…", "They hired…"): out of
    /// context such a sentence does not say who or what.
    static let anaphoricOpenings = ["他", "她", "它", "其", "这", "此", "该", "那", "上述", "对此",
                                    "He ", "She ", "It ", "They ", "This ", "These ", "That ", "Those ", "His ", "Her ", "Its ", "Their "]

    static func leansOnThePrevious(_ sentence: String) -> Bool {
        let start = sentence.drop { $0.isWhitespace || "“\"「『(（".contains($0) }
        return anaphoricOpenings.contains { start.hasPrefix($0) }
    }

    /// One score per sentence, each feature scaled to 0...1 before weighting.
    func score(_ article: Article, vocabulary: ArticleVocabulary) -> [Double] {
        let count = article.sentences.count
        let centrality = vocabulary.vectors.map(vocabulary.centrality)

        let keywords = vocabulary.keywordWeights

        let position = (0..<count).map { index -> Double in
            let lead = 1 - Double(index) / Double(max(count, 1))
            return 0.6 * lead * lead + (article.startsParagraph(sentenceAt: index) ? 0.4 : 0)
        }
        let features = [(centrality, 0.4), (keywords, 0.35), (position, 0.25)]
        return (0..<count).map { index in
            features.reduce(0.0) { total, feature in
                let maximum = feature.0.max() ?? 0
                return total + (maximum > 0 ? feature.1 * feature.0[index] / maximum : 0)
            }
        }
    }
}

/// An article's sentences as TF-IDF vectors (terms of `SearchTerms`, IDF over the sentences) and their centroid:
/// what the article is about.
struct ArticleVocabulary {
    let terms: [[String]]
    let idf: [String: Double]
    let vectors: [[String: Double]]
    let centroid: [String: Double]

    init(sentences: [String]) {
        terms = sentences.map { SearchTerms.terms(of: $0) }
        // IDF over sentences (the documents of one article), plus one so that a term in every sentence still counts.
        var frequency: [String: Int] = [:]
        for sentenceTerms in terms { for term in Set(sentenceTerms) { frequency[term, default: 0] += 1 } }
        let count = Double(terms.count)
        let idf = frequency.mapValues { log(count / Double($0)) + 1 }
        self.idf = idf
        vectors = terms.map { Self.vector($0, idf: idf) }
        var centroid: [String: Double] = [:]
        for vector in vectors { for (term, weight) in vector { centroid[term, default: 0] += weight } }
        self.centroid = centroid
    }

    /// How much of the article's recurring vocabulary each sentence carries: its distinct terms weighted by how
    /// often they recur (log count) and how specific they are (IDF), over the square root of their number.
    var keywordWeights: [Double] {
        var occurrences: [String: Int] = [:]
        for sentenceTerms in terms { for term in sentenceTerms { occurrences[term, default: 0] += 1 } }
        return terms.map { sentenceTerms in
            let distinct = Set(sentenceTerms)
            guard !distinct.isEmpty else { return 0 }
            let total = distinct.reduce(0.0) { $0 + log(1 + Double(occurrences[$1] ?? 0)) * (idf[$1] ?? 0) }
            return total / Double(distinct.count).squareRoot()
        }
    }

    static func vector(_ terms: [String], idf: [String: Double]) -> [String: Double] {
        terms.reduce(into: [String: Double]()) { $0[$1, default: 0] += idf[$1] ?? 0 }
    }

    /// Cosine similarity of a vector to the centroid.
    func centrality(_ vector: [String: Double]) -> Double { Self.cosine(vector, centroid) }

    static func cosine(_ a: [String: Double], _ b: [String: Double]) -> Double {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        let dot = small.reduce(0.0) { $0 + $1.value * (large[$1.key] ?? 0) }
        let norms = a.values.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norms > 0 ? dot / norms : 0
    }
}
