import Foundation
import Testing
@testable import Reading
import Transformer
import TestSupport

@Suite struct ExtractiveSummaryTests {
    @Test func picksKeySentencesOnceEachInArticleOrder() throws {
        let text = """
            The city opened a new bridge over the river on Monday.
            The bridge over the river cost the city 40 million dollars.
            The city opened a new bridge over the river on Monday.
            Ok.
            Mayor Lopez said the bridge would cut traffic in the city centre by a third.
            A local bakery also changed its opening hours this week.
            Engineers inspected the bridge over the river before the opening.
            """
        let article = try Article(cleaned: TextCleaner().clean(text, name: "bridge.txt"))
        let summary = ExtractiveSummarizer().summarize(article, length: .medium)
        // A note this short gets three points, one per region.
        #expect(summary.points.count == 3)
        let cited = summary.points.flatMap(\.citations)
        #expect(cited == cited.sorted())
        for point in summary.points {
            #expect(point.citations.count == 1)
            #expect(point.text == article.sentences[point.citations[0] - 1].text)
        }
        // The repeated first sentence is taken at most once, the fragment never.
        #expect(summary.points.filter { $0.text.hasPrefix("The city opened") }.count == 1)
        #expect(!summary.points.contains { $0.text == "Ok." })
        // The name is what a reader looks for; the off-topic sentence is passed over.
        #expect(summary.points.contains { $0.text.contains("Lopez") })
        #expect(!summary.points.contains { $0.text.contains("bakery") })
    }

    @Test func twoSentencesPerPointQuoteEachRegionsPair() throws {
        for url in try TestSupport.articles().prefix(2) {
            let article = try Article.load(path: url.path)
            let single = ExtractiveSummarizer().summarize(article, length: .medium)
            let pairs = ExtractiveSummarizer(sentencesPerPoint: 2).summarize(article, length: .medium)
            #expect(pairs.points.count == single.points.count)
            #expect(pairs.points.allSatisfy { $0.citations.count == 2 })
        }
    }

    @Test func anArticleOfOnlyShortSentencesStillGetsOne() throws {
        let article = try Article(cleaned: TextCleaner().clean("Hi.\nOk then.\nBye.", name: "short.txt"))
        let summary = ExtractiveSummarizer().summarize(article, length: .medium)
        #expect(summary.points.count == 1)
    }

    @Test func articlesKeepTheirScriptAndCiteTheirOwnSentences() throws {
        for url in try TestSupport.articles() {
            let article = try Article.load(path: url.path)
            let summary = ExtractiveSummarizer().summarize(article, length: .medium)
            #expect((6...12).contains(summary.points.count), "\(url.lastPathComponent): \(summary.points.count) points")
            #expect(TextLanguage.detect(summary.points.map(\.text).joined()) == article.language, "\(url.lastPathComponent)")
            for point in summary.points {
                #expect(point.text == article.sentences[point.citations[0] - 1].text)
            }
            for (index, point) in summary.points.enumerated() {
                for other in summary.points[(index + 1)...] {
                    #expect(CitationSupport.overlap(claim: point.text, sentence: other.text) < 0.7, "near repeat in \(url.lastPathComponent)")
                }
            }
        }
    }
}
