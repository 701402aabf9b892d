import Foundation
import Transformer

/// Which sentences a summary rests on: the article is cut into as many regions of equal size as the summary has
/// points, so that every stretch of it is represented, and each region gives the sentences that say the most.
///
/// A sentence says the most when it brings numbers and names no sentence already taken has (what a reader
/// looks for in a news summary: who, how much, when), carries the article's recurring vocabulary and is close to
/// what the whole article is about (`ArticleVocabulary`). A sentence that opens by pointing back ("他…",
/// "This…") or repeats one already taken is passed over. Asked to choose and condense at once, small models
/// pick framing sentences and drop the figures; choosing here leaves the model only the condensing.
public struct KeySentences: Sendable {
    /// Sentences shorter than this (headings, captions, fragments) or longer (a run-on paragraph) are not taken.
    public var lengths = 15...220
    /// A sentence this similar (cosine of TF-IDF vectors) to one already taken is a repeat.
    public var redundancy = 0.5

    public init() {}

    /// `regions` groups of up to `perRegion` sentence indices each, in the article's order; `sizes` are the
    /// sentences' sizes (tokens or characters) that the regions split evenly. A region with no sentence worth
    /// taking gives no group.
    public func groups(of sentences: [String], sizes: [Int], regions: Int, perRegion: Int) -> [[Int]] {
        guard !sentences.isEmpty, regions > 0, perRegion > 0 else { return [] }
        let prose = sentences.map(Self.isProse)
        let vocabulary = ArticleVocabulary(sentences: sentences)
        let centrality = Self.normalized(vocabulary.vectors.map(vocabulary.centrality))
        let weight = zip(Self.normalized(vocabulary.keywordWeights), centrality).map { $0 + $1 }
        let specifics = sentences.map { Set(Specifics(of: $0).all) }
        var seen = Set<String>()
        var taken: [Int] = []
        var groups: [[Int]] = []
        for region in Self.regions(sizes: zip(sizes, prose).map { $1 ? $0 : 0 }, count: regions) {
            var group: [Int] = []
            while group.count < perRegion {
                let candidates = region.filter { index in
                    prose[index] && !group.contains(index) && lengths.contains(sentences[index].count)
                        && !taken.contains { ArticleVocabulary.cosine(vocabulary.vectors[$0], vocabulary.vectors[index]) >= redundancy }
                }
                // New specifics count half: at full weight one sentence listing figures outranks the region's subject.
                func score(_ index: Int) -> Double {
                    0.5 * Double(specifics[index].subtracting(seen).count) + weight[index]
                        - (Self.leansOnThePrevious(sentences[index]) ? 2 : 0)
                }
                let scored = candidates.map { (index: $0, score: score($0)) }
                // Ties go to the earlier sentence.
                guard let best = scored.max(by: { $0.score < $1.score || ($0.score == $1.score && $0.index > $1.index) })?.index else { break }
                group.append(best)
                taken.append(best)
                seen.formUnion(specifics[best])
            }
            if !group.isEmpty { groups.append(group.sorted()) }
        }
        return groups
    }

    /// Words that, opening a sentence, point back to the one before ("他首先提出…", "They hired…"): out of
    /// context such a sentence does not say who or what.
    static let anaphoricOpenings = ["他", "她", "它", "其", "这", "此", "该", "那", "上述", "对此",
                                    "He ", "She ", "It ", "They ", "This ", "These ", "That ", "Those ", "His ", "Her ", "Its ", "Their "]

    static func leansOnThePrevious(_ sentence: String) -> Bool {
        let start = sentence.drop { $0.isWhitespace || "“\"「『(（".contains($0) }
        return anaphoricOpenings.contains { start.hasPrefix($0) }
    }

    /// Whether a sentence is prose a reader would want condensed: no web address (a reference list) and mostly
    /// letters, not the digits and symbols of a table row or a citation.
    static func isProse(_ sentence: String) -> Bool {
        guard !sentence.contains("://"), !sentence.contains("www.") else { return false }
        let visible = sentence.filter { !$0.isWhitespace }
        return Double(visible.filter(\.isLetter).count) >= 0.6 * Double(visible.count)
    }

    /// Consecutive index ranges of about equal total size, `count` of them or fewer when there are fewer items.
    static func regions(sizes: [Int], count: Int) -> [Range<Int>] {
        let total = Double(max(1, sizes.reduce(0, +)))
        var regions: [Range<Int>] = []
        var start = 0
        var sum = 0
        for (index, size) in sizes.enumerated() {
            sum += size
            let isLast = index == sizes.count - 1
            if isLast || Double(sum) >= total * Double(regions.count + 1) / Double(count) {
                regions.append(start..<(index + 1))
                start = index + 1
            }
        }
        return regions
    }

    static func normalized(_ values: [Double]) -> [Double] {
        let maximum = values.max() ?? 0
        return maximum > 0 ? values.map { $0 / maximum } : values
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
