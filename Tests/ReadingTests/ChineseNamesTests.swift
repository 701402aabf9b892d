import Foundation
import Testing
@testable import Reading

/// Chinese personal names in an English translation get ICU's pinyin (no model).
@Suite struct ChineseNamesTests {
    let source = "阿里大模型由阿里云智能CTO周靖人负责，张勇首次以阿里云智能CEO的身份亮相。"

    func corrected(_ translation: String, kept: String = "") -> String {
        var introduced = Set<String>()
        return ChineseNames.correctingRomanization(in: translation, source: source, kept: kept, introduced: &introduced)
    }

    @Test func aMisRomanizedNameGetsItsPinyinAndCharacters() {
        var introduced = Set<String>()
        #expect(corrected("The models are led by CTO Zhou Jingrui.") == "The models are led by CTO Zhou Jingren (周靖人).")
        #expect(corrected("Zhou Jing-rui leads them.") == "Zhou Jingren (周靖人) leads them.")
        // A wrong surname before an exact given name.
        #expect(ChineseNames.correctingRomanization(in: "Meng Renxun donated it.", source: "2016年,黄仁勋亲手将DGX-1捐献给了OpenAI",
                                                    introduced: &introduced) == "Huang Renxun (黄仁勋) donated it.")
        // The name as the first two of three capitalized words.
        #expect(corrected("Zhou Jingrui Said so.") == "Zhou Jingren (周靖人) Said so.")
    }

    @Test func theCharactersFollowOnlyTheFirstMention() {
        var introduced = Set<String>()
        let first = ChineseNames.correctingRomanization(in: "Zhou Jingrui leads.", source: source, introduced: &introduced)
        let second = ChineseNames.correctingRomanization(in: "Zhou Jingrui studied.", source: source, introduced: &introduced)
        #expect(first == "Zhou Jingren (周靖人) leads.")
        #expect(second == "Zhou Jingren studied.")
    }

    @Test func rightNamesAndOtherWordsStayAsTheyAre() {
        for text in ["Zhang Yong appeared as CEO.", "Zhou Jingren leads Alibaba Cloud.", "The Chief Technology Officer spoke.",
                     "Alibaba Cloud Intelligence released it."] {
            #expect(corrected(text) == text)
        }
        // Too far from any name of the source: left alone.
        #expect(corrected("Zhou Enlai was not there.") == "Zhou Enlai was not there.")
        // A spelling the reader used stands.
        #expect(corrected("Zhou Jingrui leads.", kept: "What does Zhou Jingrui lead?") == "Zhou Jingrui leads.")
        // Characters already given after the name are not repeated.
        #expect(corrected("Zhou Jingrui (周靖人) leads.") == "Zhou Jingren (周靖人) leads.")
    }

    @Test func editDistanceCountsSingleEdits() {
        #expect(ChineseNames.editDistance(Array("jingrui"), Array("jingren")) == 2)
        #expect(ChineseNames.editDistance(Array(""), Array("abc")) == 3)
        #expect(ChineseNames.editDistance(Array("abc"), Array("abc")) == 0)
    }
}
