import Foundation

/// The numbers of the text shown to the model, against which the figures of an answer are checked: an
/// answer sentence that states an amount, percent, year or count found nowhere in what the model was shown
/// is not grounded (small models fill in figures they remember, or get a conversion wrong), so the answer
/// leaves that sentence out. Numbers are compared by value, so "$350 million" in an answer is found in
/// "3.5亿美元", "270,000" in "27 万" and "65%" in "百分之六十五".
struct AnswerFigures: Sendable {
    /// Every number the shown text mentions.
    let shownValues: [Double]

    /// - Parameter shown: what the model was shown: the excerpts, the question, earlier turns.
    init(shown: [String]) {
        shownValues = shown.flatMap(Self.numbersMentioned(in:))
    }

    /// The figures `answer` states that the shown text does not mention.
    func unsupportedFigures(in answer: String) -> [Double] {
        Self.figuresStated(in: answer).filter { figure in
            !shownValues.contains { abs($0 - figure) <= 1e-9 * max(abs($0), abs(figure)) }
        }
    }

    /// The values of the figures a text states: numbers in digits with their scale ("1.5 billion" is
    /// 1.5e9, "27 万" and "二十七万" are 270000), not part of a name ("GPT-4", "Qwen2.5", "5G" state no
    /// figure). Chinese numerals without 万 or 亿 are not counted: they are mostly words (一些, 十分).
    static func figuresStated(in text: String) -> [Double] {
        numbers(in: comparable(text), partOfNames: false)
    }

    /// Every number a text mentions, generously (a wider net means fewer sentences wrongly left out):
    /// digits inside names, Chinese numerals of any kind (a lone 两 or 一 too), English number words.
    static func numbersMentioned(in text: String) -> [Double] {
        let folded = SearchTerms.foldedNumerals(comparable(text))
        var values = numbers(in: folded, partOfNames: true)
        values += folded.compactMap { SearchTerms.numeralDigits[$0] }.map(Double.init)
        let words = folded.split { !$0.isLetter }.map(String.init)
        values += words.compactMap { englishNumberWords[$0] }.map(Double.init)
        return values
    }

    /// Width, case and script folded, and 万/亿 amounts written as English figures, so that both sides
    /// read the same way.
    static func comparable(_ text: String) -> String {
        ChineseAmounts.inEnglishFigures(SearchTerms.normalized(text))
    }

    /// Numbers in digits with their scale word; with `partOfNames` false, those glued to Latin letters are skipped.
    static func numbers(in text: String, partOfNames: Bool) -> [Double] {
        let pattern = partOfNames ? anyNumber : figure
        guard let regex = pattern.regex else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { match in
            guard let digitsRange = Range(match.range(at: 1), in: text),
                  let number = Double(text[digitsRange].replacingOccurrences(of: ",", with: "")) else { return nil }
            let scale = Range(match.range(at: 2), in: text).map { scales[text[$0].lowercased()] ?? 1 } ?? 1
            return number * scale
        }
    }

    /// A number (thousands separated or not, decimals) and its scale word.
    static let numberBody = #"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[\s-]*(thousand|million|billion|trillion)\b)?"#
    static let anyNumber = Pattern(#"(?<![\d.,])"# + numberBody)
    /// Not after a letter, nor a letter and a hyphen; not followed by a letter ("5g", "3d", "2nd"), nor cut
    /// out of a longer number by backtracking.
    static let figure = Pattern(#"(?<![\d.,a-z])(?<![a-z]-)"# + numberBody + #"(?![a-z\d]|[.,]\d)"#)
    static let scales: [String: Double] = ["thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12]
    static let englishNumberWords: [String: Int] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
        "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
        "once": 1, "twice": 2, "double": 2, "triple": 3,
    ]
}
