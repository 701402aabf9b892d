import Foundation
import Testing
@testable import Reading
import Transformer

// MARK: - Decoding

@Suite struct TextDecodingTests {
    @Test func decodesUTF8AndMapsScalarsToByteOffsets() throws {
        let decoded = try TextDecoder.decode(Array("a中\nb".utf8), name: "sample.txt")
        #expect(decoded.text == "a中\nb")
        #expect(decoded.encoding == .utf8)
        #expect(decoded.scalarByteOffsets == [0, 1, 4, 5, 6])
        #expect(decoded.line(ofByteOffset: 5) == 2)
    }

    @Test func invalidUTF8NamesTheOffsetOfTheFirstBadByte() {
        let bytes = Array("abc".utf8) + [0xFF] + Array("def".utf8)
        #expect(throws: TextInputError.invalidUTF8(name: "in.txt", byteOffset: 3, line: 1)) {
            try TextDecoder.decode(bytes, name: "in.txt")
        }
        // UTF-8 Chinese with one damaged byte on line 2 stays a UTF-8 error (not mis-read as GBK).
        let damaged = Array("中文测试\n第二行".utf8) + [0xE4, 0x41] + Array("结束。".utf8)
        #expect(throws: TextInputError.invalidUTF8(name: "in.txt", byteOffset: 22, line: 2)) {
            try TextDecoder.decode(damaged, name: "in.txt")
        }
        // Latin-1 is not GBK even where its bytes happen to pair up ("é" + "s").
        let latin1: [UInt8] = Array("Caf".utf8) + [0xE9] + Array("s et cr".utf8) + [0xE8] + Array("mes".utf8)
        #expect(throws: TextInputError.invalidUTF8(name: "menu", byteOffset: 3, line: 1)) {
            try TextDecoder.decode(latin1, name: "menu")
        }
    }

    @Test func rejectsOverlongAndSurrogateForms() {
        #expect(TextDecoder.firstInvalidUTF8Offset(in: [0x41, 0xC0, 0xAF]) == 1)
        #expect(TextDecoder.firstInvalidUTF8Offset(in: [0x41, 0x42, 0xED, 0xA0, 0x80]) == 2)
        #expect(TextDecoder.firstInvalidUTF8Offset(in: [0xF4, 0x90, 0x80, 0x80]) == 0)
        #expect(TextDecoder.firstInvalidUTF8Offset(in: Array("ok 👍".utf8)) == nil)
    }

    @Test func decodesGBKAsGB18030() throws {
        // "中文，测试。" in GBK (iconv -t GBK).
        let gbk: [UInt8] = [0xD6, 0xD0, 0xCE, 0xC4, 0xA3, 0xAC, 0xB2, 0xE2, 0xCA, 0xD4, 0xA1, 0xA3]
        let decoded = try TextDecoder.decode(gbk + Array("\nOK".utf8), name: "gbk.txt")
        #expect(decoded.encoding == .gb18030)
        #expect(decoded.text == "中文，测试。\nOK")
        #expect(decoded.scalarByteOffsets == [0, 2, 4, 6, 8, 10, 12, 13, 14, 15])
        let cleaned = TextCleaner().clean(decoded)
        #expect(cleaned.sourcePosition(ofScalarOffset: 3) == SourcePosition(byteOffset: 6, line: 1))
        #expect(cleaned.sourcePosition(ofScalarOffset: 7) == SourcePosition(byteOffset: 13, line: 2))
    }

    @Test func binaryInputIsRejectedWithTheOffset() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]
        #expect(throws: TextInputError.binary(name: "x.png", byteOffset: 8)) { try TextDecoder.decode(png, name: "x.png") }
        let controls: [UInt8] = Array("ab".utf8) + Array(repeating: 0x01, count: 10) + Array("cd".utf8)
        #expect(throws: TextInputError.binary(name: "x.bin", byteOffset: 2)) { try TextDecoder.decode(controls, name: "x.bin") }
        #expect(throws: TextInputError.wideUnicode(name: "w.txt", encoding: "UTF-16LE")) {
            try TextDecoder.decode([0xFF, 0xFE, 0x41, 0x00], name: "w.txt")
        }
    }

    @Test func emptyAndWhitespaceOnlyInputsAreErrors() {
        #expect(throws: TextInputError.empty(name: "e.txt")) { try TextDecoder.decode([UInt8](), name: "e.txt") }
        #expect(throws: TextInputError.noVisibleText(name: "w.txt")) {
            try TextDecoder.decode(Array(" \n\t\u{3000}\u{FEFF}\u{200B}\r\n".utf8), name: "w.txt")
        }
    }

    @Test func errorMessagesAreOneLineAndNameTheInput() {
        let errors: [TextInputError] = [
            .empty(name: "a.txt"), .noVisibleText(name: "a.txt"), .binary(name: "a.txt", byteOffset: 7),
            .wideUnicode(name: "a.txt", encoding: "UTF-16BE"), .invalidUTF8(name: "a.txt", byteOffset: 9, line: 2),
            .undecodableChineseEncoding(name: "a.txt"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("a.txt: "))
            #expect(!error.description.contains("\n"))
        }
        #expect(TextInputError.invalidUTF8(name: "a.txt", byteOffset: 9, line: 2).description.contains("offset 9"))
        #expect(TextInputError.binary(name: "a.txt", byteOffset: 7).description.contains("offset 7"))
    }
}

// MARK: - Cleaning

@Suite struct TextCleanerTests {
    @Test func removesInvisibleCharactersAndReportsThem() {
        let input = "\u{FEFF}Hello\u{200B} wor\u{00AD}ld\u{202E}!\u{2066}x\u{2069}\u{0007}\n中\u{200D}文"
        let cleaned = TextCleaner().clean(input)
        #expect(cleaned.text == "Hello world!x\n中文")
        #expect(cleaned.report.tally(.invisible).spans == 8)
    }

    @Test func keepsJoinersInsideEmoji() {
        let family = "👨\u{200D}👩\u{200D}👧"
        #expect(TextCleaner().clean("家庭 \(family) 合影").text == "家庭 \(family) 合影")
    }

    @Test func keepsFullWidthPunctuation() {
        let input = "他说：“你好！”（注：测试）《书名》，【标题】；ＡＢＣ１２３。"
        #expect(TextCleaner().clean(input).text == input)
    }

    @Test func normalizesWhitespace() {
        let input = "  第一行\t\t有  空格  \r\n\r\n\r\n\r\n\u{00A0}\u{00A0}第二段\r第三行   \n\n"
        let cleaned = TextCleaner().clean(input)
        #expect(cleaned.text == "第一行 有 空格\n\n第二段\n第三行")
        #expect(cleaned.report.tally(.whitespace).spans > 0)
    }

    @Test func removesMarkupAndDecodesEntities() {
        let cleaned = TextCleaner().clean("<p>A &amp; B</p><br/>发明。”?/p>\n1 < 2 > 0 &unknown; 5&6")
        #expect(cleaned.text == "A & B\n\n发明。”\n1 < 2 > 0 &unknown; 5&6")
        #expect(cleaned.report.tally(.markup).spans == 5)
    }

    @Test func removesPinyinAnnotationsOnly() {
        let cleaned = TextCleaner().clean("一場激戰(zhàn)正酣,產(chǎn)品(agent)與服務(AWS)和(通过)。")
        #expect(cleaned.text == "一場激戰正酣,產品(agent)與服務(AWS)和(通过)。")
        #expect(cleaned.report.tally(.pinyinAnnotation).spans == 2)
    }

    @Test func removesGarbledGBKRunsButKeepsRealQuestionMarks() {
        let cleaned = TextCleaner().clean("""
            也許大家都不會感興趣?!敝芫溉苏f。
            高德、釘釘?shù)葮I(yè)務應用帶來直接的商業價值。
            其意義超越了iPhone的發明?!?/p>
            它能夠?qū)崟r回答問題,能夠?qū)?biāo)OpenAI。
            這些特點?這些問題有多快呢?2016年,如同比爾?蓋茨所說,怎麼辦?中國A股的市場。
            """)
        #expect(cleaned.text == """
            也許大家都不會感興趣。
            高德、釘釘務應用帶來直接的商業價值。
            其意義超越了iPhone的發明
            它能夠回答問題,能夠OpenAI。
            這些特點?這些問題有多快呢?2016年,如同比爾?蓋茨所說,怎麼辦?中國A股的市場。
            """)
        #expect(cleaned.report.tally(.garbled).spans == 5)
        #expect(cleaned.report.examples[.garbled] == ["?!", "?!敝芫溉苏f", "?shù)葮I", "?qū)崟r", "?qū)?biāo)"])
    }

    @Test func removesJunkRunsButKeepsShortRealFragments() {
        let cleaned = TextCleaner().clean(
            "回看历史总是充满戏剧性。' Y* [- h& v' q5 ]\n坚定在to C & 标准化的方向,X, Y, Z 轴与 Q1 Q2 Q3 财报。I am a TA at UC.")
        #expect(cleaned.text == "回看历史总是充满戏剧性。\n坚定在to C & 标准化的方向,X, Y, Z 轴与 Q1 Q2 Q3 财报。I am a TA at UC.")
        #expect(cleaned.report.tally(.junkSequence).spans == 1)
    }

    @Test func mapsCleanedCharactersBackToOriginalBytesAndLines() {
        let original = "\u{FEFF}标题\r\n\r\n  正文 ( e* H8 f6 L1 b' 第二句。"
        let cleaned = TextCleaner().clean(original)
        #expect(cleaned.text == "标题\n\n正文第二句。")
        let bytes = Array(original.utf8)
        for (offset, scalar) in cleaned.text.unicodeScalars.enumerated() where scalar != "\n" {
            let location = cleaned.sourcePosition(ofScalarOffset: offset)
            let expected = Array(String(scalar).utf8)
            #expect(Array(bytes[location.byteOffset..<(location.byteOffset + expected.count)]) == expected)
        }
        #expect(cleaned.sourcePosition(ofScalarOffset: 4) == SourcePosition(byteOffset: 15, line: 3))
        let secondSentence = cleaned.text.range(of: "第二句")
        #expect(secondSentence.map { cleaned.sourcePosition(at: $0.lowerBound).line } == 3)
    }

    @Test func neverFailsOnOddInput() {
        let inputs = ["", "\n\n\n", "<", "&", "&#99999999;", "?/", "( (", "a\u{0301}\u{200D}", "<p", "中(", "中(yè", String(repeating: "x ", count: 10)]
        for input in inputs {
            let cleaned = TextCleaner().clean(input)
            _ = SentenceSplitter().split(cleaned)
            _ = cleaned.sourcePosition(ofScalarOffset: 1_000)
            _ = cleaned.sourcePosition(ofScalarOffset: -1)
        }
    }
}

// MARK: - Sentences

@Suite struct SentenceSplitterTests {
    private func sentences(_ text: String) -> [String] {
        SentenceSplitter().split(TextCleaner().clean(text)).map(\.text)
    }

    @Test func splitsChineseAfterTerminatorsAndClosingQuotes() {
        #expect(sentences("他说：“好的。”然后走了。真的吗？！是的……好吧；再见」") ==
            ["他说：“好的。”", "然后走了。", "真的吗？！", "是的……", "好吧；", "再见」"])
        #expect(sentences("「但大家因此都不看好 Jasper.AI。」一位投资人说。") == ["「但大家因此都不看好 Jasper.AI。」", "一位投资人说。"])
    }

    @Test func splitsEnglishButNotNumbersOrAbbreviations() {
        #expect(sentences("GPT-3.5 is fast. The U.S. market grew, e.g. in Q2. Dr. Smith agreed! Did he? Yes.") ==
            ["GPT-3.5 is fast.", "The U.S. market grew, e.g. in Q2.", "Dr. Smith agreed!", "Did he?", "Yes."])
        #expect(sentences("Version 3.5 ships in 2023. Next") == ["Version 3.5 ships in 2023.", "Next"])
        #expect(sentences("1. 介绍\n2. 方法") == ["1. 介绍", "2. 方法"])
    }

    @Test func asciiTerminatorsBeforeHanEndSentences() {
        #expect(sentences("而做 toC 呢?看起来,OpenAI在 C 端拥有优势!真的.是的") == ["而做 toC 呢?", "看起来,OpenAI在 C 端拥有优势!", "真的.", "是的"])
        #expect(sentences("访问 Jasper.AI 和 a.com/?q=1 吧") == ["访问 Jasper.AI 和 a.com/?q=1 吧"])
    }

    @Test func newlinesAlwaysEndSentences() {
        #expect(sentences("标题\n第一段没有句号\n\n第二段。") == ["标题", "第一段没有句号", "第二段。"])
    }

    @Test func longSentencesAreCutAtCommas() {
        let clause = String(repeating: "很长的从句", count: 12)  // 60 characters
        let long = Array(repeating: clause, count: 8).joined(separator: "，") + "。"
        let pieces = SentenceSplitter(maximumLength: 300).split(TextCleaner().clean(long))
        #expect(pieces.count == 2)
        #expect(pieces.allSatisfy { $0.text.unicodeScalars.count <= 300 })
        #expect(pieces.map(\.text).joined() == long)
        #expect(SentenceSplitter().split(TextCleaner().clean("1,000,000 " + String(repeating: "x", count: 400))).count == 1)
    }

    @Test func numbersSentencesAndMapsThemToTheSource() {
        let cleaned = TextCleaner().clean("第一句。\n\u{200B}  第二句! Third one.")
        let result = SentenceSplitter().split(cleaned)
        #expect(result.map(\.index) == [1, 2, 3])
        #expect(result.map(\.source.line) == [1, 2, 2])
        #expect(result[1].source.byteOffset == 18)
        #expect(String(cleaned.text[result[2].range]) == "Third one.")
    }
}

// MARK: - The real articles

@Suite struct ArticleCleaningTests {
    /// `shared/articles` beside the repository, found by walking up from this file.
    static func article(_ prefix: String) throws -> (bytes: [UInt8], cleaned: CleanedText) {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        var folder: URL?
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/articles")
            if FileManager.default.fileExists(atPath: candidate.path) { folder = candidate; break }
            directory.deleteLastPathComponent()
        }
        let articles = try #require(folder, "no shared/articles above \(#filePath)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: articles.path).first { $0.hasPrefix(prefix) })
        let data = try Data(contentsOf: articles.appendingPathComponent(name))
        let decoded = try TextDecoder.decode(data, name: name)
        return ([UInt8](data), TextCleaner().clean(decoded))
    }

    @Test func article001KeepsTheTextAndDropsJunkAndFurniture() throws {
        let (_, cleaned) = try Self.article("001_")
        let text = cleaned.text
        let keptSentences = [
            "回看历史总是充满戏剧性。",
            "此时距离谷歌定下「AI First」的目标已经过去六年,距离 OpenAI 震惊世界的 ChatGPT 发布还有将近 18 个月。",
            "De Freitas 、Shazeer 因此萌生去意,尽管 CEO Pichai 亲自进行挽留,但最终,两人还是在 2021 年底离开谷歌,创办了 Character AI——目前 AI 大模型领域的独角兽之一。",
            "硅谷的争议在于,OpenAI真的能持续*吗?",
            "那么,硅谷的巨头们在做什么?",
            "实际上 ChatGPT 的访问量增长率一直在下滑,5 月环比仅有 2.8%;",
            "「但大家因此都不看好 Jasper.AI。」",
            "坚定在to C & 标准化的方向。",
            "美国大模型应用产业地图。制图|Founder Park\n",
            "\nScale AI:\n",
            "\nMoveworks:用 Copilot 再造",
            "\n01\n",
        ]
        for sentence in keptSentences {
            #expect(text.contains(sentence), "lost: \(sentence)")
        }
        let junk = [
            "( e* H8 f6 L1 b' Q! T3 t5 h", "+ J7 U& o9 W: U$ e6 Q2 T", "' Y* [- h& v' q5 ]", "6 `2 J2 K& W- n6 B) G3 e1 t4 Z",
            "9 s) B. ~; s", "2.8%;8", "Park\"", "03*", "v0 g", "?5 x(",
        ]
        for sequence in junk {
            #expect(!text.contains(sequence), "kept junk: \(sequence)")
        }
        let furniture = [
            "找回密码", "我要注册", "QQ登录", "只需一步,快速开始", "查看: 516", "复制链接", "显示全部楼层", "202387113047070.jpg",
            "202387113068429.jpg", "您需要登录后才可以回帖", "本版积分规则", "粤ICP备12078725号", "GMT+8", "Powered by Discuz!",
            "返回顶部",
        ]
        for line in furniture {
            #expect(!text.contains(line), "kept furniture: \(line)")
        }
        // No line is left that consists only of 1–2 character ASCII tokens with symbols (a junk remnant).
        for line in text.split(separator: "\n") {
            let tokens = line.split(separator: " ")
            let looksLikeJunk = tokens.count >= 3 && tokens.allSatisfy { $0.count <= 2 && $0.allSatisfy(\.isASCII) }
            #expect(!looksLikeJunk, "junk line: \(line)")
        }
        let report = cleaned.report
        #expect(report.tally(.junkSequence).spans > 300)
        #expect(report.tally(.pageFurniture).spans >= 15)
        #expect(report.tally(.pinyinAnnotation).spans == 0)
    }

    @Test func sentencesOfArticle001PointIntoTheOriginalFile() throws {
        let (bytes, cleaned) = try Self.article("001_")
        let sentences = SentenceSplitter().split(cleaned)
        #expect(sentences.count > 300)
        for sentence in sentences {
            let prefix = Array(sentence.text.unicodeScalars.prefix(4).map { String($0) }.joined().utf8)
            let offset = sentence.source.byteOffset
            #expect(offset + prefix.count <= bytes.count)
            guard offset + prefix.count <= bytes.count else { continue }
            #expect(Array(bytes[offset..<(offset + prefix.count)]) == prefix, "[S\(sentence.index)] \(sentence.text)")
            let lineBreaksBefore = bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            #expect(sentence.source.line == lineBreaksBefore + 1)
        }
        let history = try #require(sentences.first { $0.text == "回看历史总是充满戏剧性。" })
        #expect(history.source.line == 18)
    }

    @Test func pinyinAnnotationsAreRemovedFromArticles002And004() throws {
        for prefix in ["002_", "004_"] {
            let (_, cleaned) = try Self.article(prefix)
            let text = cleaned.text
            #expect(cleaned.report.tally(.pinyinAnnotation).spans > 100)
            for annotation in ["(yè)", "(zhàn)", "(chǎn)", "(fā)", "(shù)"] {
                #expect(!text.contains(annotation), "\(prefix): kept \(annotation)")
            }
            #expect(!text.contains("?/p>"))
        }
        let (_, article002) = try Self.article("002_")
        #expect(article002.text.hasPrefix("一場AI大模型追逐賽,激戰正酣。"))
        #expect(article002.text.contains("“躬身”業務四個多月后"))
        let (_, article004) = try Self.article("004_")
        #expect(article004.text.contains("創業邦經授權發布"))
        #expect(article004.text.contains("在美國,以OpenAI、Anthropic等初創企業"))
        #expect(!article004.text.contains("【資料圖】"))
    }

    /// Article 002 holds runs of GBK text decoded after a lost byte (`?!敝芫溉苏f` for `。”周靖人說`); they are
    /// in the file itself (the decoding is valid UTF-8), so the cleaner drops them and keeps the text around them.
    @Test func garbledRunsOfArticle002AreDroppedAndTheirNeighboursKept() throws {
        let (bytes, cleaned) = try Self.article("002_")
        #expect(String(decoding: bytes, as: UTF8.self).contains("?!敝芫溉苏f"))
        let text = cleaned.text
        for garbled in ["?shù)", "葮I", "敝芫溉苏f", "?!", "??", "蛇^", "茗櫟t", "?guī)", "斔俾食^"] {
            #expect(!text.contains(garbled), "kept \(garbled)")
        }
        for sentence in [
            "一方面將與集團內部產品結合,可以預見,通義千問將對天貓、淘寶、高德、釘釘",
            "務應用帶來直接的商業價值,據了解,釘釘、天貓精靈將率先接入測試",
            "如果我們在去年9月、10月講預訓練大模型,也許大家都不會感興趣。",
            "李彥宏在接受36氪采訪時表示,百度“文心一言”在研發階段時,百度技術團隊曾與ChatGPT進行對比測試,當時差距是40分的水平,一個月能追得上",
            "了一個月,技術團隊再次測試后,發現差距反而拉大了。",
            "能夠產生一種連OpenAI自己都想不到的智能化的結果感慨道。",
            "600 GB/秒,受限產品就包括英偉達A100和后續產品H100。",
            "他稱:“GPT是場新工業革命,其意義超越了互聯網、iPhone的發明\n",
        ] {
            #expect(text.contains(sentence), "lost: \(sentence)")
        }
        #expect(cleaned.report.tally(.garbled).spans == 8)
    }

    @Test func cleanArticlesAreLeftAlone() throws {
        for prefix in ["000_", "003_"] {
            let (bytes, cleaned) = try Self.article(prefix)
            let original = String(decoding: bytes, as: UTF8.self)
            #expect(cleaned.text == original.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
