import Testing
@testable import Reading
import Transformer

/// How many points a summary gets and where they come from, and which of the model's lines become points
/// (no model: the lines are written here).
@Suite struct SummaryPlanTests {
    @Test func pointsFollowTheArticlesSize() {
        #expect(SummaryLength.medium.pointCount(articleTokens: 300) == 3)
        #expect(SummaryLength.medium.pointCount(articleTokens: 2_500) == 10)
        // A 20,000-character Chinese report is about 14,000 tokens.
        #expect((8...12).contains(SummaryLength.medium.pointCount(articleTokens: 14_000)))
        #expect(SummaryLength.medium.pointCount(articleTokens: 100_000) == 12)
        for tokens in [100, 1_000, 5_000, 20_000] {
            #expect(SummaryLength.short.pointCount(articleTokens: tokens) < SummaryLength.long.pointCount(articleTokens: tokens))
            #expect(SummaryLength.short.pointCount(articleTokens: tokens) >= 2)
        }
    }

    @Test func everyPartGetsPointsInProportion() {
        #expect(Summarizer.share(8, among: [900, 1400, 1400, 500]) == [2, 3, 2, 1])
        #expect(Summarizer.share(8, among: [900, 1400, 1400, 500]).reduce(0, +) == 8)
        // More parts than points: every part still gets one (a long article is covered to its end).
        #expect(Summarizer.share(3, among: [900, 1400, 1400, 1400, 1400]) == [1, 1, 1, 1, 1])
        #expect(Summarizer.share(5, among: [300]) == [5])
        #expect(Summarizer.share(5, among: []) == [])
    }

    @Test func sentencesOfTheModelsSummaryBecomePoints() {
        #expect(Summarizer.parsePoint("- 阿里提出模型即服务。 [S4]") == "阿里提出模型即服务。")
        #expect(Summarizer.parsePoint("2. Microsoft invested $1 billion in OpenAI. ") == "Microsoft invested $1 billion in OpenAI.")
        #expect(Summarizer.parsePoint("同时，阿里达摩院开源了Model Scope社区。") == "阿里达摩院开源了Model Scope社区。")
        #expect(Summarizer.parsePoint("贾扬清演示了钉钉的新功能。<|im_end|>") == "贾扬清演示了钉钉的新功能。")
        #expect(Summarizer.parsePoint("2019年OpenAI重组；") == "2019年OpenAI重组")
        #expect(Summarizer.parsePoint("- 短") == nil)
        let text = "阿里发布了新概念。同时，社区开源！Microsoft paid $1.5 billion. Then"
        var rest = Substring(text)
        var sentences: [String] = []
        while let end = Summarizer.sentenceEnd(in: String(rest)) {
            let string = String(rest)
            sentences.append(String(string[..<end]))
            rest = Substring(string[end...])
        }
        #expect(sentences == ["阿里发布了新概念。", "同时，社区开源！", "Microsoft paid $1.5 billion."])
    }

    @Test func aPointThatSaysOnePhraseTwiceIsDropped() {
        let garbled = "在中美兩國的進展中, 大家主要關注的還是中美兩國的進展。"
        #expect(Summarizer.repeatsItself(garbled))
        #expect(!Summarizer.repeatsItself("大家主要關注的還是中美兩國的進展。"))
        // A shorter name said twice is not garbled.
        #expect(!Summarizer.repeatsItself("周靖人指出阿里云提出了模型即服务,并指出“模型即服务”将解决这些问题。"))
        let sentences = ["但在這一輪浪潮中, 大家主要關注的還是中美兩國的進展。"]
        #expect(Summarizer.cited(garbled, sentences: sentences, part: [0]) == nil)
    }

    @Test func aPointCondensingSeveralSentencesCitesThemAll() {
        let sentences = [
            "2022年11月3日至5日,阿里云栖大会在杭州的云栖小镇召开。",
            "周靖人做了一个题为《模型即服务,助力AI新发展》的演讲,提出模型即服务的概念。",
            "阿里达摩院发起的开源社区Model Scope希望承载各式各样的模型。",
            "贾扬清现场演示了钉钉接入大模型之后的功能。",
        ]
        let point = Summarizer.cited("周靖人在杭州云栖大会上提出《模型即服务,助力AI新发展》,阿里达摩院推出开源社区Model Scope",
                                     sentences: sentences, part: [0, 1, 2, 3])
        #expect(point?.citations == [1, 2, 3])
    }
}
