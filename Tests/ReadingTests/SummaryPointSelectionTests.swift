import Testing
@testable import Reading
import Transformer

/// Which of a model's points a summary keeps (no model: the points are written here). The sentences are
/// shaped on article 003, whose part 1 qwen2.5-1.5b "summarized" by copying its first sentences in order.
@Suite struct SummaryPointSelectionTests {
    static let sentences = [
        "众声喧哗和异口同声,在科技界往往存在于同一件事情。",
        "原创性思想往往会出乎意料地在同一时间出现在多个地方。",
        "2022年11月3日至5日,阿里云栖大会在杭州的云栖小镇召开。",
        "周靖人做了一个题为《模型即服务,助力AI新发展》的演讲,提出模型即服务的概念。",
        "所谓模型即服务,是围绕模型的整个开发周期提供服务,让开发者使用模型没有门槛。",
        "阿里达摩院发起的开源社区Model Scope希望承载各式各样的模型,成为模型的万花筒。",
        "贾扬清现场演示了钉钉接入大模型之后的功能,包括实时对话作诗。",
        "模型的开发仍然具有一定门槛,模型的定制化需求仍然存在,使用模型的方法千变万化。",
        "他认为模型即服务将解决模型开发的门槛和模型定制化的问题,让开发者使用模型。",
    ]
    static let vocabulary = ArticleVocabulary(sentences: sentences)

    func point(_ number: Int) -> SummaryPoint { SummaryPoint(text: Self.sentences[number - 1], citations: [number]) }

    @Test func aPartCopiedFromItsOpeningIsReplacedByItsCentralSentences() {
        let copied = [point(1), point(2), point(3), point(4)]
        #expect(Summarizer.copiesOpening(copied, of: Array(0..<9), sentences: Self.sentences))
        let selection = Summarizer.select(copied, of: Array(0..<9), count: 3, sentences: Self.sentences, vocabulary: Self.vocabulary)
        #expect(selection.copied)
        #expect(selection.points.count == 3)
        // The scene-setting opening (no word about models) is not among the part's most central sentences, nor is
        // the most central one of all, which opens with 他: alone, it does not say who.
        #expect(!selection.points.contains { $0.citations == [1] || $0.citations == [2] || $0.citations == [9] }, "\(selection.points)")
        let centrality = Self.vocabulary.vectors.map(Self.vocabulary.centrality)
        #expect(centrality.indices.max { centrality[$0] < centrality[$1] } == 8)
        #expect(selection.points.allSatisfy { $0.citations.count == 1 && $0.text == Self.sentences[$0.citations[0] - 1] })
        #expect(selection.points.map { $0.citations[0] } == selection.points.map { $0.citations[0] }.sorted())
    }

    @Test func pointsThatSummarizeAreKept() {
        // Own words, or sentences other than the opening ones: not a copy.
        let paraphrased = [SummaryPoint(text: "阿里在云栖大会上提出模型即服务", citations: [1]), point(2), point(3)]
        #expect(!Summarizer.copiesOpening(paraphrased, of: Array(0..<9), sentences: Self.sentences))
        let later = [point(4), point(5), point(6)]
        #expect(!Summarizer.copiesOpening(later, of: Array(0..<9), sentences: Self.sentences))
        let selection = Summarizer.select(later, of: Array(0..<9), count: 3, sentences: Self.sentences, vocabulary: Self.vocabulary)
        #expect(!selection.copied && selection.points == later)
        // A short part may be copied whole: that is its summary.
        #expect(!Summarizer.copiesOpening([point(1), point(2), point(3)], of: Array(0..<3), sentences: Self.sentences))
    }

    @Test func tooManyPointsKeepTheModelsFirst() {
        let many = [point(5), point(2), point(6), point(8), point(4)]
        let selection = Summarizer.select(many, of: Array(0..<9), count: 3, sentences: Self.sentences, vocabulary: Self.vocabulary)
        #expect(!selection.copied && selection.points == Array(many.prefix(3)))
    }

    @Test func aMergeWithTooManyPointsTakesThePartsInTurn() {
        let merged = (1...8).map(point)
        // Parts: sentences 1–6 are part 0, 7–8 part 1. Taking the first four would leave part 1 out.
        let kept = Summarizer.roundRobin(merged, parts: [0, 0, 0, 0, 0, 0, 1, 1], count: 4)
        #expect(kept == [point(1), point(2), point(7), point(8)])
    }

    @Test func aPointThatSaysOnePhraseTwiceIsDropped() {
        let garbled = "在中美兩國的進展中, 大家主要關注的還是中美兩國的進展。"
        #expect(Summarizer.repeatsItself(garbled))
        #expect(!Summarizer.repeatsItself("大家主要關注的還是中美兩國的進展。"))
        // A shorter name said twice is not garbled.
        #expect(!Summarizer.repeatsItself("周靖人指出阿里云提出了模型即服务,并指出“模型即服务”将解决这些问题。"))
        var summary = Summary(language: .traditionalChinese)
        let sentences = ["但在這一輪浪潮中, 大家主要關注的還是中美兩國的進展。"]
        #expect(Summarizer.check(SummaryPoint(text: garbled, citations: [1]), sentences: sentences, allowed: [1], summary: &summary) == nil)
        #expect(summary.droppedPoints == 1)
    }

    @Test func aStepCutOffByItsBudgetLosesItsUnfinishedLine() {
        let text = "- 阿里提出模型即服务。 [S4]\n- 第二个原因是为实现从"
        #expect(Summarizer.droppingCutOffLine(text, finishReason: .length) == "- 阿里提出模型即服务。 [S4]")
        #expect(Summarizer.droppingCutOffLine(text, finishReason: .endOfGeneration) == text)
        #expect(Summarizer.droppingCutOffLine(text + "\n", finishReason: .length) == text + "\n")
        #expect(Summarizer.droppingCutOffLine("- 只有半句", finishReason: .length) == "")
    }
}
