import Foundation
import Transformer

/// The terms a text is indexed and searched by (ask), scored by (extractive summaries) and its citations
/// checked by (`CitationSupport`): lowercased words for Latin script (light plural stemming, common function
/// words dropped) and character bigrams for Chinese, which is written without spaces (a run of a single Han
/// character is kept as a unigram). Grammatical particles such as 的, 了, 是 separate bigrams instead of
/// joining them: "腾讯的大模型" gives 腾讯, 大模, 模型 and not 讯的, 的大, which would make a question look unlike
/// the sentence that answers it. Text is normalized first (NFKC, which turns full-width "ＧＰＴ－４" into
/// "GPT-4"; traditional characters folded to simplified), so a question in either script or width finds an
/// article in the other.
public enum SearchTerms {
    /// The terms of article text, in order (repeats kept: they count as term frequency).
    public static func terms(of text: String) -> [String] {
        terms(of: text, joiningNames: false)
    }

    /// The terms of article text for search: `terms(of:)` plus, for each pair of Latin words separated by one
    /// space or hyphen, the pair written as one word ("Model Scope", "model-scope" → also "modelscope"), so
    /// that a name matches however it is spaced. Queries are not joined: "ModelScope" meets the joined term,
    /// "Model Scope" meets both words.
    public static func indexTerms(of text: String) -> [String] {
        terms(of: text, joiningNames: true, foldingNumerals: true)
    }

    /// - Parameter foldingNumerals: Chinese numerals become digits first (`foldedNumerals`), for search: a
    ///   question's "三百四十万" then meets an article's "340万".
    static func terms(of text: String, joiningNames: Bool, foldingNumerals: Bool = false) -> [String] {
        var terms: [String] = []
        var hanRun: [Character] = []
        var word = ""
        // The previous Latin word and whether only one space or hyphen has followed it.
        var previousWord = ""
        var joinable = false

        func endHanRun() {
            if hanRun.count == 1 {
                terms.append(String(hanRun[0]))
            } else {
                for index in hanRun.indices.dropLast() { terms.append(String(hanRun[index...index + 1])) }
            }
            hanRun.removeAll(keepingCapacity: true)
        }
        func endWord() {
            defer { word = "" }
            if joiningNames, joinable, !previousWord.isEmpty, word.contains(where: \.isLetter) || previousWord.contains(where: \.isLetter) {
                terms.append(previousWord + word)
            }
            previousWord = word
            joinable = false
            let hasDigit = word.contains(where: \.isNumber)
            guard hasDigit || word.count >= 2, !englishStopWords.contains(word) else { return }
            terms.append(hasDigit ? word : stem(word))
        }

        let normalizedText = normalized(text)
        for character in foldingNumerals ? foldedNumerals(normalizedText) : normalizedText {
            if chineseParticles.contains(character) {
                if !hanRun.isEmpty { endHanRun() }
                if !word.isEmpty { endWord() }
                previousWord = ""
            } else if isHan(character) {
                if !word.isEmpty { endWord() }
                previousWord = ""
                hanRun.append(character)
            } else if character.isLetter || character.isNumber {
                if !hanRun.isEmpty { endHanRun() }
                word.append(character)
            } else {
                if !hanRun.isEmpty { endHanRun() }
                if !word.isEmpty {
                    endWord()
                    joinable = character == " " || character == "-"
                } else {
                    previousWord = ""
                    joinable = false
                }
            }
        }
        if !hanRun.isEmpty { endHanRun() }
        if !word.isEmpty { endWord() }
        return terms
    }

    /// The terms of a question: question words ("什么", "哪些", "多少", "who", "which") carry no content
    /// and are cut out before the text is split into terms, so that they neither match nor bridge bigrams.
    public static func queryTerms(of question: String) -> [String] {
        var text = normalized(question)
        for phrase in chineseQuestionPhrases { text = text.replacingOccurrences(of: phrase, with: " ") }
        var seen = Set<String>()
        return terms(of: text, joiningNames: false, foldingNumerals: true).filter { seen.insert($0).inserted }
    }

    /// True when `question` asks for an amount: "多少", "几" (not "哪几", which asks which ones, nor "几乎"),
    /// "how many", "how much", "what percentage".
    public static func asksForAmount(_ question: String) -> Bool {
        let text = normalized(question)
        if ["多少", "how many", "how much", "what percentage", "what share"].contains(where: text.contains) { return true }
        return text.replacingOccurrences(of: "哪几", with: "").replacingOccurrences(of: "几乎", with: "").contains("几")
    }

    /// Chinese numerals written out as Arabic digits: "二〇二一" → "2021", "三百四十" → "340", "十五" → "15".
    /// A lone 一 or 两 stays (mostly a word: 一个, 统一, 两人), as do 万 and 亿, which articles write after
    /// digits too ("340万").
    static func foldedNumerals(_ text: String) -> String {
        var out = ""
        var run: [Character] = []
        func endRun() {
            defer { run.removeAll(keepingCapacity: true) }
            let multipliers = run.compactMap { numeralMultipliers[$0] }
            guard run.count >= 2 || !multipliers.isEmpty else {
                out.append(contentsOf: run)
                return
            }
            guard !multipliers.isEmpty else {
                out += run.map { String(numeralDigits[$0]!) }.joined()
                return
            }
            var total = 0
            var current = 0
            for character in run {
                if let digit = numeralDigits[character] {
                    current = digit
                } else if let multiplier = numeralMultipliers[character] {
                    total += (current == 0 ? 1 : current) * multiplier
                    current = 0
                }
            }
            out += String(total + current)
        }
        for character in text {
            if numeralDigits[character] != nil || numeralMultipliers[character] != nil {
                run.append(character)
            } else {
                if !run.isEmpty { endRun() }
                out.append(character)
            }
        }
        if !run.isEmpty { endRun() }
        return out
    }

    static let numeralDigits: [Character: Int] = [
        "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    ]
    static let numeralMultipliers: [Character: Int] = ["十": 10, "百": 100, "千": 1000]

    /// NFKC (full-width letters, digits and punctuation become ASCII), lowercase, simplified Chinese.
    public static func normalized(_ text: String) -> String {
        foldedToSimplified(text.precomposedStringWithCompatibilityMapping).lowercased()
    }

    /// Traditional Chinese characters replaced by simplified ones (text without Han characters is returned as is).
    public static func foldedToSimplified(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.isIdeographic }) else { return text }
        return text.applyingTransform(StringTransform("Hant-Hans"), reverse: false) ?? text
    }

    static func isHan(_ character: Character) -> Bool {
        character.unicodeScalars.first?.properties.isIdeographic ?? false
    }

    /// "models" → "model", "companies" → "company"; enough for questions to meet their articles.
    static func stem(_ word: String) -> String {
        guard word.count > 3, word.allSatisfy(\.isASCII) else { return word }
        if word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") { return String(word.dropLast()) }
        return word
    }

    /// Function characters that carry no topic (simplified forms: the text is folded first).
    static let chineseParticles: Set<Character> = [
        "的", "了", "是", "在", "和", "与", "及", "叫", "把", "被", "也", "都", "就", "吗", "呢", "吧", "啊", "个", "这", "那",
        "哪", "谁", "么", "之", "其", "或", "而", "并",
    ]

    /// Longest first, so that "什么时候" is cut before "什么".
    static let chineseQuestionPhrases = [
        "什么时候", "为什么", "怎么样", "多少", "什么", "哪些", "哪个", "哪家", "哪位", "哪一", "哪里", "哪年", "怎么", "如何", "是否",
        "是谁", "文章", "这篇", "提到", "根据", "请问", "吗", "呢", "谁",
    ].sorted { $0.count > $1.count }

    static let englishStopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "into", "about",
        "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "has", "have", "had", "it", "its", "this", "that",
        "these", "those", "there", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "according", "article",
        "say", "says", "said", "tell", "me", "us", "we", "you", "he", "she", "they", "them", "his", "her", "their", "our", "your",
        "not", "no", "can", "could", "would", "should", "will", "shall", "may", "might", "much", "many", "any", "some", "than",
        "then", "so", "if", "also", "all", "one",
    ]
}
