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

    @Test func aShortNoteCondensesAtMostHalfItsSentences() {
        // Eleven sentences, three points: two sentences each, not four (six of eleven).
        #expect(Summarizer.sentencesPerPoint(4, sentences: 11, points: 3) == 2)
        #expect(Summarizer.sentencesPerPoint(4, sentences: 3, points: 3) == 1)
        // A long article: the limit.
        #expect(Summarizer.sentencesPerPoint(4, sentences: 86, points: 10) == 4)
        #expect(Summarizer.sentencesPerPoint(2, sentences: 400, points: 12) == 2)
    }

    @Test func regionsSplitTheArticleEvenly() {
        #expect(KeySentences.regions(sizes: [10, 10, 10, 10], count: 2) == [0..<2, 2..<4])
        #expect(KeySentences.regions(sizes: [30, 10, 10, 10], count: 2) == [0..<1, 1..<4])
        // Fewer sentences than regions: one region each.
        #expect(KeySentences.regions(sizes: [5, 5], count: 4) == [0..<1, 1..<2])
        #expect(KeySentences.regions(sizes: [], count: 3).isEmpty)
    }

    @Test func eachRegionGivesTheSentencesThatSayTheMost() {
        let sentences = [
            "这是一个关于人工智能的时代，大家都在讨论新技术。",
            "微软在2019年向OpenAI投资10亿美元，双方建立独家合作。",
            "他认为这件事情非常重要，值得所有人关注一下。",
            "https://example.com/report/2023/11/05/ai-models-2023.html",
            "阿里云在2022年11月提出模型即服务，并发布开源社区ModelScope。",
            "总之，未来的发展还有很多不确定性，大家拭目以待吧。",
        ]
        let groups = KeySentences().groups(of: sentences, sizes: sentences.map(\.count), regions: 2, perRegion: 1)
        // The sentences with the names and numbers, one from each half; never the web address.
        #expect(groups == [[1], [4]])
        let pairs = KeySentences().groups(of: sentences, sizes: sentences.map(\.count), regions: 1, perRegion: 2)
        #expect(pairs == [[1, 4]])
        #expect(!KeySentences.isProse(sentences[3]))
        #expect(KeySentences.isProse(sentences[0]))
    }

    @Test func condensedSentencesJoinIntoOnePoint() {
        #expect(Summarizer.joined(["微软投资OpenAI", "阿里提出模型即服务"], language: .simplifiedChinese) == "微软投资OpenAI。阿里提出模型即服务")
        #expect(Summarizer.joined(["微软投资OpenAI。", "阿里提出模型即服务。"], language: .simplifiedChinese) == "微软投资OpenAI。阿里提出模型即服务。")
        #expect(Summarizer.joined(["Microsoft invested", "Alibaba spoke."], language: .english) == "Microsoft invested. Alibaba spoke.")
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
        while let end = SentenceSplitter.endOfFirstSentence(in: String(rest)) {
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
