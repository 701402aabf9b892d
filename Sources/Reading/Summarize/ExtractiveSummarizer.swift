import Foundation
import Transformer

/// A summary made of the article's own sentences, with no model: fast, and the honest baseline for the
/// generative summary, because it picks exactly what `Summarizer` would condense (`KeySentences`): each point is
/// one region's key sentences as the article words them, citing them.
public struct ExtractiveSummarizer: Sendable {
    /// Sentences per point: one reads as a list of the article's key sentences; the summarizer's two show what
    /// the model is given to condense.
    public var sentencesPerPoint: Int

    public init(sentencesPerPoint: Int = 1) { self.sentencesPerPoint = max(1, sentencesPerPoint) }

    public func summarize(_ article: Article, length: SummaryLength) -> Summary {
        let start = Date()
        let texts = article.sentenceTexts
        let sizes = texts.map(Self.estimatedTokens)
        var groups = KeySentences().groups(of: texts, sizes: sizes, regions: length.pointCount(articleTokens: sizes.reduce(0, +)),
                                           perRegion: sentencesPerPoint)
        // An article made only of very short or very long sentences still gets its longest sentence.
        if groups.isEmpty, let longest = texts.indices.max(by: { texts[$0].count < texts[$1].count }) { groups = [[longest]] }
        var summary = Summary(language: article.language)
        summary.plannedPoints = groups.count
        summary.points = groups.map { group in
            SummaryPoint(text: Summarizer.joined(group.map { texts[$0] }, language: article.language), citations: group.map { $0 + 1 })
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// A sentence's size in tokens without a tokenizer, for the number of points: the catalog's tokenizers spend
    /// about one token per 1.4 Han characters and per four other characters.
    static func estimatedTokens(_ sentence: String) -> Int {
        let han = sentence.filter(SearchTerms.isHan).count
        return Int((Double(han) / 1.4 + Double(sentence.count - han) / 4).rounded(.up))
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
