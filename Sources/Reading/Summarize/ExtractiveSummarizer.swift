import Foundation
import Transformer

/// A summary made of the article's own sentences, with no model: fast, and the honest baseline for the
/// generative summary, because it picks exactly what `Summarizer` would condense (`KeySentences`): each point is
/// one region's key sentences as the article words them, citing them.
public struct ExtractiveSummarizer: Sendable {
    /// Sentences per point: one reads as a list of the article's key sentences; the summarizer's count
    /// (`Summarizer.defaultSentencesPerPoint`) shows what the model is given to condense.
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
