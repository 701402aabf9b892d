import Foundation

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
        let terms = article.sentences.map { SearchTerms.terms(of: $0.text) }
        let idf = inverseFrequencies(terms)
        let vectors = terms.map { sentenceTerms in sentenceTerms.reduce(into: [String: Double]()) { $0[$1, default: 0] += idf[$1] ?? 0 } }
        let scores = score(article, terms: terms, idf: idf, vectors: vectors)
        var chosen: [Int] = []
        for index in scores.indices.sorted(by: { scores[$0] > scores[$1] }) where chosen.count < length.pointCount {
            let count = article.sentences[index].text.count
            guard (minimumLength...maximumLength).contains(count),
                  !chosen.contains(where: { Self.cosine(vectors[$0], vectors[index]) >= redundancy })
            else { continue }
            chosen.append(index)
        }
        // An article made only of very short or very long sentences still gets its best sentence.
        if chosen.isEmpty, let best = scores.indices.max(by: { scores[$0] < scores[$1] }) { chosen = [best] }
        var summary = Summary(language: article.language)
        summary.points = chosen.sorted().map { SummaryPoint(text: article.sentences[$0].text, citations: [$0 + 1]) }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// One score per sentence, each feature scaled to 0...1 before weighting.
    func score(_ article: Article, terms termCounts: [[String]], idf: [String: Double], vectors: [[String: Double]]) -> [Double] {
        let count = article.sentences.count
        var centroid: [String: Double] = [:]
        for vector in vectors { for (term, weight) in vector { centroid[term, default: 0] += weight } }
        let centrality = vectors.map { Self.cosine($0, centroid) }

        var occurrences: [String: Int] = [:]
        for terms in termCounts { for term in terms { occurrences[term, default: 0] += 1 } }
        let keywords = termCounts.map { terms -> Double in
            let distinct = Set(terms)
            guard !distinct.isEmpty else { return 0 }
            let total = distinct.reduce(0.0) { $0 + log(1 + Double(occurrences[$1] ?? 0)) * (idf[$1] ?? 0) }
            return total / Double(distinct.count).squareRoot()
        }

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

    /// IDF over sentences (the documents of one article), plus one so that a term in every sentence still counts.
    private func inverseFrequencies(_ termCounts: [[String]]) -> [String: Double] {
        var frequency: [String: Int] = [:]
        for terms in termCounts { for term in Set(terms) { frequency[term, default: 0] += 1 } }
        let count = Double(termCounts.count)
        return frequency.mapValues { log(count / Double($0)) + 1 }
    }

    static func cosine(_ a: [String: Double], _ b: [String: Double]) -> Double {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        let dot = small.reduce(0.0) { $0 + $1.value * (large[$1.key] ?? 0) }
        let norms = a.values.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norms > 0 ? dot / norms : 0
    }
}
