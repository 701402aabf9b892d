import Foundation

/// Chinese amounts written with 万 (ten thousand) and 亿 (a hundred million) rewritten as exact English
/// figures: "3.5亿美元" → "$350 million", "1.2万" → "12,000", "500万" → "5 million", "20亿元" → "2 billion yuan",
/// "1.5万亿" → "1.5 trillion", "四万八千" → "48,000". A model asked to convert such amounts while it
/// translates often gets the powers of ten wrong; done here, it only has to copy the figure.
///
/// A number counts as an amount only when it has 万 or 亿 after a digit or a Chinese numeral, so words that
/// contain these characters ("万一", "亿万", "千万不要") and numbers without them stay as they are.
public enum ChineseAmounts {
    /// `text` with each amount replaced by its English figure, currency included; everything else unchanged.
    public static func inEnglishFigures(_ text: String) -> String {
        var segments = scan(text)
        // "三千万至五千万人民币": the currency written once after a range belongs to both ends.
        for index in segments.indices.dropLast(2) {
            guard case .amount(var first) = segments[index], first.currency == nil,
                  case .text(let between) = segments[index + 1], rangeConnectors.contains(between.trimmingCharacters(in: .whitespaces)),
                  case .amount(let second) = segments[index + 2], let currency = second.currency else { continue }
            first.currency = currency
            segments[index] = .amount(first)
        }
        var out = ""
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .text(let text):
                out += text
            case .amount(let amount):
                // Spaced from neighbouring words, so that "获得了$50 million启动资金" reads as separate words.
                if let last = out.last, last.isLetter || last.isNumber { out += " " }
                out += amount.english
                if index + 1 < segments.count, case .text(let next) = segments[index + 1], let first = next.first,
                   first.isLetter || first.isNumber { out += " " }
            }
        }
        return out
    }

    /// The value of an amount written with digits or Chinese numerals and 万/亿 ("3.5亿" → 350000000,
    /// "四万八千" → 48000, "16.65万亿" → 16650000000000); nil when `numeral` is not such a number.
    public static func value(of numeral: String) -> Decimal? {
        var high = Decimal(0)       // the part counted in 亿
        var tenThousands = Decimal(0)  // the part counted in 万 since the last 亿
        var small = Decimal(0)      // below 万: 千, 百, 十 and units
        var pending: Decimal?       // the last number, not yet given its multiplier
        var pendingIsChineseDigits = false
        var sawScale = false
        var rest = Substring(SearchTerms.normalized(numeral).filter { !$0.isWhitespace && $0 != "," })
        while let character = rest.first {
            if character.isASCII, character.isNumber {
                guard pending == nil else { return nil }
                let literal = rest.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
                guard literal.filter({ $0 == "." }).count <= 1, !literal.hasSuffix("."),
                      let number = Decimal(string: String(literal), locale: posix) else { return nil }
                pending = number
                pendingIsChineseDigits = false
                rest = rest.dropFirst(literal.count)
                continue
            }
            rest = rest.dropFirst()
            if let digit = SearchTerms.numeralDigits[character] {
                // Digits in a row are positional ("二〇二三"); after an Arabic number they are not a number.
                if let value = pending {
                    guard pendingIsChineseDigits else { return nil }
                    pending = value * 10 + Decimal(digit)
                } else {
                    pending = Decimal(digit)
                }
                pendingIsChineseDigits = true
            } else if let multiplier = SearchTerms.numeralMultipliers[character] {
                small += (pending ?? 1) * Decimal(multiplier)
                pending = nil
            } else if character == "万" {
                let count = small + (pending ?? 0)
                guard count > 0 else { return nil }
                tenThousands += count * 10_000
                small = 0
                pending = nil
                sawScale = true
            } else if character == "亿" {
                let count = tenThousands + small + (pending ?? 0)
                guard count > 0 else { return nil }
                high += count * 100_000_000
                tenThousands = 0
                small = 0
                pending = nil
                sawScale = true
            } else {
                return nil
            }
        }
        guard sawScale else { return nil }
        return high + tenThousands + small + (pending ?? 0)
    }

    /// An exact English figure: below a million with thousands separators ("12,000", "4,500"), from a
    /// million on in millions, billions or trillions ("5 million", "350 million", "16.65 trillion").
    public static func englishFigure(_ value: Decimal) -> String {
        let scales: [(Decimal, String)] = [(1_000_000_000_000, " trillion"), (1_000_000_000, " billion"), (1_000_000, " million")]
        for (scale, name) in scales where value >= scale {
            return grouped(value / scale) + name
        }
        return grouped(value)
    }

    // MARK: - Scanning

    struct Amount {
        var value: Decimal
        /// "10多亿", "5000余万": more than the number written.
        var moreThan: Bool
        var currency: Currency?

        var english: String {
            let figure = ChineseAmounts.englishFigure(value)
            let withCurrency = currency.map { $0.symbol + figure + $0.suffix } ?? figure
            return moreThan ? "more than " + withCurrency : withCurrency
        }
    }

    struct Currency: Equatable {
        let symbol: String
        let suffix: String
    }

    enum Segment {
        case text(String)
        case amount(Amount)
    }

    /// The text cut into plain text and amounts.
    static func scan(_ text: String) -> [Segment] {
        let characters = Array(text)
        var segments: [Segment] = []
        var plain = ""
        var index = 0
        while index < characters.count {
            if let (amount, end) = amount(in: characters, at: index) {
                if !plain.isEmpty { segments.append(.text(plain)) }
                plain = ""
                segments.append(.amount(amount))
                index = end
            } else {
                plain.append(characters[index])
                index += 1
            }
        }
        if !plain.isEmpty { segments.append(.text(plain)) }
        return segments
    }

    /// The amount starting at `start` and the index after it (currency included), if one starts there.
    static func amount(in characters: [Character], at start: Int) -> (Amount, Int)? {
        guard isNumeral(characters[start]) || isArabicDigit(characters[start]) else { return nil }
        if start > 0 {
            let before = characters[start - 1]
            // Not in the middle of a number or a name ("GPT-3", "A100").
            if isArabicDigit(before) || isNumeral(before) || before == "." || before == "," || (before.isASCII && before.isLetter) { return nil }
            if before == "-", start > 1, characters[start - 2].isASCII, characters[start - 2].isLetter { return nil }
            // "数十亿", "几百万": several tens of, not an exact figure.
            if vagueBefore.contains(before) { return nil }
        }
        var index = start
        var numeral = ""
        var moreThan = false
        var lastScale: (numeralLength: Int, end: Int, unit: Decimal)?
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            if isArabicDigit(character) {
                numeral.append(asciiDigit(character))
            } else if character == "." || character == ",", let next, isArabicDigit(next), numeral.last.map(isArabicDigit) == true {
                // A separator only between digits ("1,000万", "3.5亿"), not punctuation after a number.
                numeral.append(character)
            } else if isNumeral(character) {
                numeral.append(character)
            } else if isScale(character) {
                numeral.append(character)
                lastScale = (numeral.count, index + 1, character == "万" || character == "萬" ? 10_000 : 100_000_000)
            } else if "多余餘".contains(character), !moreThan, !numeral.isEmpty, let next, isScale(next) {
                moreThan = true
            } else if character == " ", let next, isScale(next), numeral.last.map(isArabicDigit) == true {
                // "40 亿": articles often put a space between the digits and the scale.
            } else {
                break
            }
            index += 1
        }
        guard let scale = lastScale else { return nil }
        var extra = Decimal(0)
        let trailing = numeral.dropFirst(scale.numeralLength)
        if !trailing.isEmpty {
            let allChinese = !numeral.contains(where: isArabicDigit)
            if allChinese, trailing.count == 1, let digit = SearchTerms.numeralDigits[trailing.first!] {
                // "三万五" is 35,000: a lone digit after the scale counts its tenths.
                extra = Decimal(digit) * scale.unit / 10
            } else if !(allChinese && trailing.contains { SearchTerms.numeralMultipliers[$0] != nil }) {
                // "3亿一年": the amount ends at its scale; the numeral after it starts a word.
                index = scale.end
            }
            if index == scale.end || extra > 0 { numeral = String(numeral.prefix(scale.numeralLength)) }
        }
        guard let counted = value(of: numeral), counted > 0 else { return nil }
        let written = String(characters[start..<index])
        let following = String(characters[index..<min(characters.count, index + 4)])
        if idioms.contains(where: { (written + following).hasPrefix($0) }) { return nil }
        var amount = Amount(value: counted + extra, moreThan: moreThan, currency: nil)
        if let (word, currency) = currencies.first(where: { following.hasPrefix($0.0) }),
           word != "元" || !notCurrencyAfterYuan.contains(where: { following.dropFirst().hasPrefix($0) }) {
            amount.currency = currency
            index += word.count
        }
        return (amount, index)
    }

    /// A Chinese digit or 十, 百, 千 (either script).
    static func isNumeral(_ character: Character) -> Bool {
        SearchTerms.numeralDigits[character] != nil || SearchTerms.numeralMultipliers[character] != nil || character == "兩"
    }

    static func isArabicDigit(_ character: Character) -> Bool {
        character.isNumber && (character.isASCII || ("０"..."９").contains(character))
    }

    static func isScale(_ character: Character) -> Bool {
        character == "万" || character == "亿" || character == "萬" || character == "億"
    }

    static func asciiDigit(_ character: Character) -> Character {
        guard let ascii = String(character).precomposedStringWithCompatibilityMapping.first else { return character }
        return ascii
    }

    /// An integer part with thousands separators, the fraction as exact as the value.
    static func grouped(_ value: Decimal) -> String {
        let parts = value.description.split(separator: ".", maxSplits: 1)
        var integer = String(parts.first ?? "0")
        // A product of decimals may carry zeros at the end of its fraction ("12.0").
        let fraction = parts.count > 1 ? String(parts[1].reversed().drop { $0 == "0" }.reversed()) : ""
        var groups: [String] = []
        while integer.count > 3 {
            groups.insert(String(integer.suffix(3)), at: 0)
            integer.removeLast(3)
        }
        groups.insert(integer, at: 0)
        return groups.joined(separator: ",") + (fraction.isEmpty ? "" : "." + fraction)
    }

    static let posix = Locale(identifier: "en_US_POSIX")

    /// Words before a numeral that make it vague ("数十亿" is several billion).
    static let vagueBefore: Set<Character> = ["数", "數", "几", "幾", "上"]

    /// Longest first, so that "人民币" is not read as "元".
    static let currencies: [(String, Currency)] = [
        ("美元", Currency(symbol: "$", suffix: "")), ("美金", Currency(symbol: "$", suffix: "")),
        ("港元", Currency(symbol: "HK$", suffix: "")), ("港币", Currency(symbol: "HK$", suffix: "")), ("港幣", Currency(symbol: "HK$", suffix: "")),
        ("欧元", Currency(symbol: "€", suffix: "")), ("歐元", Currency(symbol: "€", suffix: "")),
        ("英镑", Currency(symbol: "£", suffix: "")), ("英鎊", Currency(symbol: "£", suffix: "")),
        ("日元", Currency(symbol: "", suffix: " yen")), ("日圓", Currency(symbol: "", suffix: " yen")),
        ("人民币", Currency(symbol: "", suffix: " yuan")), ("人民幣", Currency(symbol: "", suffix: " yuan")),
        ("元", Currency(symbol: "", suffix: " yuan")),
    ]
    /// "元" begins these words rather than naming the currency ("元宇宙", "元素").
    static let notCurrencyAfterYuan = ["宇宙", "素", "年", "旦"]
    /// Words in which a numeral and 万 or 亿 are no amount ("千万不要" is "by all means do not").
    static let idioms = ["千万不", "千万别", "千万要", "千万记", "千万得", "千万注意", "千万小心", "十万火急", "千萬不", "千萬別", "千萬要", "千萬記"]
    static let rangeConnectors: Set<String> = ["至", "到", "~", "～", "-", "－", "—", "–"]
}
