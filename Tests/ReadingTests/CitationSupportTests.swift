import Foundation
import Testing
@testable import Reading
import Transformer

/// Citations of summary points: shared wording is not enough, the point's numbers and names must be in the
/// cited sentences (constructed from article 000, where a summary said "OpenAI 在 2021 年底离开谷歌").
@Suite struct CitationSupportTests {
    static let sentences = [
        "De Freitas 、Shazeer 因此萌生去意,尽管 CEO Pichai 亲自进行挽留,但最终,两人还是在 2021 年底离开谷歌,创办了 Character AI——目前 AI 大模型领域的独角兽之一。",
        "OpenAI 早期更是从 Google 挖走了一百多人来扩展业务。",
        "大模型时代的硅谷,人才流失非常严重。",
    ]

    /// The point with the citations the summarizer attaches from the three sentences (one part).
    func check(_ text: String) -> (point: SummaryPoint?, summary: Summary) {
        var summary = Summary(language: .simplifiedChinese)
        let point = Summarizer.cited(text, sentences: Self.sentences, part: Array(Self.sentences.indices))
        if point == nil { summary.droppedSentences += 1 }  // the summarizer counts what `cited` refuses
        return (point, summary)
    }

    @Test func aWrongNameUnderAWellWordedCitationDropsThePoint() {
        let claim = "OpenAI 在 2021 年底离开谷歌"
        // The wording alone would pass: most of the claim's terms are in the cited sentence.
        #expect(CitationSupport.overlap(claim: claim, sentence: Self.sentences[0]) >= 0.3)
        #expect(CitationSupport.missingSpecifics(claim: claim, sentences: [Self.sentences[0]]) == ["OpenAI"])
        // Sentence 2 names OpenAI but says nothing else of the claim: it does not lend it the name.
        let (point, summary) = check(claim)
        #expect(point == nil)
        #expect(summary.droppedSentences == 1)
    }

    @Test func aWrongYearDropsThePoint() {
        let (point, _) = check("两人在 2020 年底离开谷歌,创办了 Character AI")
        #expect(point == nil)
    }

    @Test func aSupportedPointKeepsItsCitation() {
        let (point, summary) = check("De Freitas 和 Shazeer 在 2021 年底离开谷歌,创办了 Character AI")
        #expect(point?.citations == [1])
        #expect(summary.droppedSentences == 0)
    }

    @Test func aPointCitesTheSentenceThatHoldsIt() {
        let (point, summary) = check("OpenAI 从 Google 挖走了一百多人")
        #expect(point?.citations == [2])
        #expect(summary.droppedSentences == 0)
    }

    @Test func specificsMayComeFromSeveralCitedSentences() {
        let (point, _) = check("Pichai 亲自挽留,两人仍离开谷歌;OpenAI 从 Google 挖走了一百多人")
        #expect(point?.citations == [1, 2])
    }

    @Test func aPointNoSentenceSupportsIsDropped() {
        let (point, summary) = check("这是一个值得关注的趋势")
        #expect(point == nil)
        #expect(summary.droppedSentences == 1)
    }

    @Test func specificsAreNumbersAndNames() {
        let english = Specifics(of: "The company paid $1,000 for GPT-3.5 and A100 chips; AI is big, and Microsoft agreed in 2021,2022.")
        #expect(english.numbers == ["1000", "3.5", "100", "2021", "2022"])
        #expect(english.names == ["GPT", "A100", "Microsoft"])
        let chinese = Specifics(of: "Meta 在２０２２年挖走了 AI 专家。Scale AI 估值３.５亿")
        #expect(chinese.numbers == ["2022", "3.5"])
        #expect(chinese.names == ["Meta", "Scale"])
        #expect(CitationSupport.missingSpecifics(claim: "OpenAI 的 GPT-4", sentences: ["Open AI 发布了 GPT 4"]).isEmpty)
    }

    @Test func chineseNamesAndTitlesMustBeInTheCitedSentences() {
        let claim = "美国总统唐纳德·特朗普接受《纽约时报》采访"
        #expect(Specifics(of: claim).names == ["纳德·特朗", "纽约时报"])
        // Another font's dot and the traditional script still support the name.
        #expect(CitationSupport.missingSpecifics(claim: claim, sentences: ["唐納德・特朗普週二對《紐約時報》說"]).isEmpty)
        // A different person, or a different newspaper, does not.
        #expect(CitationSupport.missingSpecifics(claim: "乔·拜登接受《纽约时报》采访", sentences: ["唐纳德·特朗普对《纽约时报》说"]) == ["乔·拜登"])
        #expect(CitationSupport.missingSpecifics(claim: claim, sentences: ["唐纳德·特朗普对《华尔街日报》说"]) == ["纽约时报"])
    }

    /// Article 001's [S119]: the point put Amazon where the sentence says Microsoft.
    @Test func aCompanySwappedForAnotherIsCaught() {
        let sentence = "在 B 端,微软获得了 OpenAI 的独家授权,将大模型能力集成到 Azure 云服务中。"
        let claim = "亚马逊在 B 端和 C 端都极早开始布局,在 B 端获得了独家授权"
        #expect(CitationSupport.overlap(claim: claim, sentence: sentence) >= 0.2)
        #expect(CitationSupport.missingSpecifics(claim: claim, sentences: [sentence]) == ["亚马逊"])
        #expect(CitationSupport.missingSpecifics(claim: "微软在 B 端获得了独家授权", sentences: [sentence]).isEmpty)
        // Another script or another name of the same company supports it; so does a longer name holding it.
        #expect(CitationSupport.missingSpecifics(claim: "亚马逊推出 Bedrock", sentences: ["亞馬遜推出了 Bedrock"]).isEmpty)
        #expect(CitationSupport.missingSpecifics(claim: "谷歌错失先机", sentences: ["Google 错失了先机"]).isEmpty)
        #expect(CitationSupport.missingSpecifics(claim: "Google 错失先机", sentences: ["谷歌错失了先机"]).isEmpty)
        #expect(CitationSupport.missingSpecifics(claim: "阿里发布通义千问", sentences: ["阿里云发布了通义千问大模型"]).isEmpty)
        // One name per company: 阿里巴巴 is not counted again as 阿里.
        #expect(Specifics(of: "阿里巴巴和腾讯").names == ["阿里巴巴", "腾讯"])
        // Ordinary words that hold a company's name are not names.
        #expect(Specifics(of: "北京东部的高通胀").names.isEmpty)
    }
}
