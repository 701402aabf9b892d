import Foundation
import Testing
@testable import Reading

/// Chinese amounts with 万 and 亿 as exact English figures (no model).
@Suite struct ChineseAmountsTests {
    @Test(arguments: [
        // The examples.
        ("3.5亿美元", "$350 million"),
        ("1.2万", "12,000"),
        ("500万", "5 million"),
        ("20亿元", "2 billion yuan"),
        // Decimals, below a million and above.
        ("0.45 万", "4,500"),
        ("6.76 亿美元", "$676 million"),
        ("1.234567万", "12,345.67"),
        ("1234万", "12.34 million"),
        // 万亿 is a trillion.
        ("1.5万亿", "1.5 trillion"),
        ("16.65萬億美元", "$16.65 trillion"),
        // Arabic digits with spaces, separators, full width; traditional characters.
        ("40 亿美金", "$4 billion"),
        ("1,000万", "10 million"),
        ("１２万", "120,000"),
        ("5000萬美元", "$50 million"),
        ("3.5億歐元", "€350 million"),
        // Chinese numerals, alone and mixed with digits.
        ("十亿美元", "$1 billion"),
        ("四万八千", "48,000"),
        ("三亿五千万", "350 million"),
        ("三万五", "35,000"),
        ("两千万", "20 million"),
        ("3千万", "30 million"),
        ("5 亿人民币", "500 million yuan"),
        ("10多亿美元", "more than $1 billion"),
    ])
    func amountBecomesItsEnglishFigure(_ chinese: String, _ english: String) {
        #expect(ChineseAmounts.inEnglishFigures(chinese) == english)
    }

    @Test func amountsInASentenceAreSpacedFromTheirNeighbours() {
        #expect(ChineseAmounts.inEnglishFigures("微软投资了10亿美元，占股49%。") == "微软投资了 $1 billion，占股49%。")
        #expect(ChineseAmounts.inEnglishFigures("Hugging Face 上有 27 万的模型") == "Hugging Face 上有 270,000 的模型")
        // A currency written once after a range belongs to both ends.
        #expect(ChineseAmounts.inEnglishFigures("三千万至五千万人民币") == "30 million yuan 至 50 million yuan")
        #expect(ChineseAmounts.inEnglishFigures("十亿到千亿规模") == "1 billion 到 100 billion 规模")
    }

    @Test(arguments: [
        "万一失败了怎么办", "亿万富翁", "千万不要放弃", "千萬別忘了", "十万火急", "数十亿美元", "几百万人", "成千上万",
        "GPT-3 有 1750 个头", "2023年4月11日", "这十分重要", "第一名", "元宇宙", "0万", "万万没想到", "", "亿", "3.5.2", "A100万",
    ])
    func nonAmountsAreLeftAlone(_ text: String) {
        #expect(ChineseAmounts.inEnglishFigures(text) == text)
    }

    @Test func theAmountEndsAtItsScaleWhenAWordFollows() {
        // 一年 is "a year", not part of the number.
        #expect(ChineseAmounts.inEnglishFigures("收入3亿一年") == "收入 300 million 一年")
        // 元素 and 元年 are words, not the currency.
        #expect(ChineseAmounts.inEnglishFigures("5亿元素") == "500 million 元素")
    }

    @Test func valuesAreExact() {
        #expect(ChineseAmounts.value(of: "3.5亿") == Decimal(350_000_000))
        #expect(ChineseAmounts.value(of: "四万八千") == Decimal(48_000))
        #expect(ChineseAmounts.value(of: "16.65万亿") == Decimal(string: "16650000000000"))
        #expect(ChineseAmounts.value(of: "二〇二三万") == Decimal(20_230_000))
        for notAnAmount in ["", "万", "亿亿", "3.5", "三千", "3三万", "abc万", "1..5万"] {
            #expect(ChineseAmounts.value(of: notAnAmount) == nil, "\(notAnAmount)")
        }
        #expect(ChineseAmounts.englishFigure(999_999) == "999,999")
        #expect(ChineseAmounts.englishFigure(1_000_000) == "1 million")
        #expect(ChineseAmounts.englishFigure(Decimal(string: "1234.50")!) == "1,234.5")
        #expect(ChineseAmounts.englishFigure(Decimal(string: "1000000000000000")!) == "1,000 trillion")
    }

    @Test func hostileInputNeverTraps() {
        for text in [String(repeating: "9", count: 80) + "亿", String(repeating: "万", count: 50), "1" + String(repeating: ".", count: 20) + "万",
                     String(repeating: "九千九百九十九万", count: 30) + "亿", "\u{0}亿", "亿\u{FFFD}万"] {
            _ = ChineseAmounts.inEnglishFigures(text)
            _ = AnswerFigures.figuresStated(in: text)
            _ = AnswerFigures.numbersMentioned(in: text)
        }
    }
}

/// The figures of an answer against the numbers of the sentences shown to the model (no model).
@Suite struct AnswerFiguresTests {
    @Test func figuresStatedAreValuesWithTheirScale() {
        #expect(AnswerFigures.figuresStated(in: "Microsoft invested $1 billion in OpenAI in 2019.") == [1e9, 2019])
        #expect(AnswerFigures.figuresStated(in: "收入达到3.5亿美元，增长65%。") == [3.5e8, 65])
        #expect(AnswerFigures.figuresStated(in: "There are 270,000 models and 1.5 million users.") == [270_000, 1.5e6])
        #expect(AnswerFigures.figuresStated(in: "它有四万八千个数据集。") == [48_000])
    }

    @Test func namesAndWordsStateNoFigure() {
        #expect(AnswerFigures.figuresStated(in: "GPT-4, Qwen2.5, A100 and 5G are names; the 2nd one too.").isEmpty)
        #expect(AnswerFigures.figuresStated(in: "一些公司认为这十分重要，第一个也是。").isEmpty)
    }

    @Test func aFigureFromTheShownSentencesIsSupportedInEitherLanguage() {
        let figures = AnswerFigures(shown: ["微软在2019年向OpenAI投资了10亿美元。", "Hugging Face 上有 27 万的模型，占比百分之六十五，约为十分之一。"])
        #expect(figures.unsupportedFigures(in: "Microsoft invested $1 billion in OpenAI in 2019.").isEmpty)
        #expect(figures.unsupportedFigures(in: "微软在2019年投资了十亿美元。").isEmpty)
        #expect(figures.unsupportedFigures(in: "About 270,000 models, 65% of them, roughly 1/10.").isEmpty)
        #expect(figures.unsupportedFigures(in: "GPT-4 was not mentioned.").isEmpty)
    }

    @Test func aFigureNotShownIsUnsupported() {
        let figures = AnswerFigures(shown: ["微软在2019年向OpenAI投资了10亿美元。"])
        // Wrong by a power of ten, a year remembered rather than read, a share made up.
        #expect(figures.unsupportedFigures(in: "Microsoft invested $10 billion in OpenAI.") == [1e10])
        #expect(figures.unsupportedFigures(in: "OpenAI成立于2015年。") == [2015])
        #expect(figures.unsupportedFigures(in: "微软占股49%。") == [49])
        #expect(figures.unsupportedFigures(in: "微软投资了100亿美元。") == [1e10])
    }

    @Test func theCleanerLeavesOutSentencesWithUnsupportedFigures() {
        let figures = AnswerFigures(shown: ["微软在2019年向OpenAI投资了10亿美元。", "OpenAI成立于哪一年？"])
        var cleaner = AnswerCleaner(question: "OpenAI成立于哪一年？", figures: figures)
        var streamed = cleaner.feed("微软在2019年投资了10亿美元。OpenAI成立于2015年。")
        streamed += cleaner.finish()
        #expect(streamed == "微软在2019年投资了10亿美元。")
        #expect(cleaner.text == "微软在2019年投资了10亿美元。")
        #expect(cleaner.ungroundedSentences == ["OpenAI成立于2015年。"])
        // Alone, the unsupported sentence leaves nothing: the answerer then refuses.
        var alone = AnswerCleaner(question: "OpenAI成立于哪一年？", figures: figures)
        _ = alone.feed("OpenAI成立于2015年。")
        _ = alone.finish()
        #expect(alone.text.isEmpty && alone.ungroundedSentences.count == 1)
    }
}
