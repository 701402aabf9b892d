import Foundation
import Transformer

/// Whether the sentences a claim cites (a summary's point, an answer) support it.
///
/// Shared wording is measured with the terms retrieval uses (`SearchTerms`: Chinese character bigrams,
/// Latin words). Shared wording is not enough: "OpenAI 在 2021 年底离开谷歌" shares most of its bigrams
/// with "两人还是在 2021 年底离开谷歌". So a claim's specifics — its numbers and its names — must also be
/// found in the sentences it cites.
public enum CitationSupport {
    /// The share of the claim's terms that the sentence contains.
    public static func overlap(claim: String, sentence: String) -> Double {
        let claimTerms = Set(SearchTerms.terms(of: claim))
        guard !claimTerms.isEmpty else { return 0 }
        return Double(claimTerms.intersection(SearchTerms.terms(of: sentence)).count) / Double(claimTerms.count)
    }

    /// The claim's specifics that none of `sentences` contains (empty when they support all of them).
    public static func missingSpecifics(claim: String, sentences: [String]) -> [String] {
        let specifics = Specifics(of: claim)
        guard !specifics.isEmpty else { return [] }
        let cited = sentences.map(Specifics.init)
        let numbers = Set(cited.flatMap(\.numbers))
        // Names are looked for in the sentences' text, spaces removed ("Open AI" supports "OpenAI"), in one
        // Chinese script and with one name dot: a point written 纽约时报 is supported by a sentence with 紐約時報,
        // and one written 谷歌 by a sentence with Google.
        let text = Specifics.comparable(sentences.joined(separator: "\n"))
        return specifics.numbers.filter { !numbers.contains($0) }
            + specifics.names.filter { !KnownNames.mentions(Specifics.comparable($0), in: text) }
    }
}

/// The numbers and names of a text: what a wrong claim most often gets wrong.
struct Specifics: Equatable {
    /// Digit runs, with full-width digits made ASCII, thousands separators dropped and a decimal part kept:
    /// "1,000" → "1000", "３.５" → "3.5".
    var numbers: [String] = []
    /// Latin words that name something: three or more characters with a capital letter (OpenAI, Pichai,
    /// AWS, A100), except, in text that is not Chinese, a capitalized word that starts a sentence ("The").
    /// Two-letter words ("AI") name nothing. In Chinese: the titles between 《》, transliterated
    /// foreign names, which join their parts with a middle dot (萨姆·奥尔特曼): the two characters on
    /// each side of the dot stand for the name, since Chinese text does not mark where a name starts; and
    /// the companies and products of `KnownNames` (微软, 亚马逊), in simplified characters.
    var names: [String] = []

    var isEmpty: Bool { numbers.isEmpty && names.isEmpty }
    /// Numbers and names together, names in their comparable form.
    var all: [String] { numbers + names.map(Self.comparable) }

    init(of text: String) {
        let characters = Array(text)
        let isChinese = text.unicodeScalars.contains(where: isHan)
        var index = 0
        var atSentenceStart = true
        while index < characters.count {
            let character = characters[index]
            if let digit = Self.asciiDigit(character) {
                var number = String(digit)
                index += 1
                while index < characters.count {
                    if let digit = Self.asciiDigit(characters[index]) {
                        number.append(digit)
                        index += 1
                    } else if ".．".contains(characters[index]), index + 1 < characters.count, let digit = Self.asciiDigit(characters[index + 1]) {
                        number += "." + String(digit)
                        index += 2
                    } else if ",，".contains(characters[index]), Self.isThousandsGroup(characters, from: index + 1) {
                        index += 1
                    } else {
                        break
                    }
                }
                numbers.append(number)
                atSentenceStart = false
            } else if character.isASCII, character.isLetter {
                var word = ""
                while index < characters.count, characters[index].isASCII, characters[index].isLetter || characters[index].isNumber {
                    word.append(characters[index])
                    index += 1
                }
                let capitals = word.filter(\.isUppercase).count
                let onlyStartsASentence = !isChinese && atSentenceStart && capitals == 1 && word.first?.isUppercase == true
                if word.count >= 3, capitals > 0 || word.contains(where: \.isNumber), !onlyStartsASentence { names.append(word) }
                // Digits inside a word ("A100") are numbers too, as they would be in the cited sentence.
                numbers += word.split(whereSeparator: { !$0.isNumber }).map(String.init)
                atSentenceStart = false
            } else {
                if ".!?。！？\n".contains(character) { atSentenceStart = true }
                index += 1
            }
        }
        if isChinese { names += Self.chineseNames(characters) + KnownNames.hanNames(in: Self.comparable(text)) }
    }

    /// The middle dots that join the parts of a transliterated name, as different fonts and sites write them.
    static let nameDots: Set<Character> = ["·", "・", "•", "‧", "･"]

    static func chineseNames(_ characters: [Character]) -> [String] {
        var names: [String] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "《", let close = characters[(index + 1)...].prefix(40).firstIndex(of: "》"), close > index + 1 {
                names.append(String(characters[(index + 1)..<close]))
                index = close + 1
                continue
            }
            if nameDots.contains(character), index > 0, index + 1 < characters.count,
               SearchTerms.isHan(characters[index - 1]), SearchTerms.isHan(characters[index + 1]) {
                let start = index >= 2 && SearchTerms.isHan(characters[index - 2]) ? index - 2 : index - 1
                let end = index + 2 < characters.count && SearchTerms.isHan(characters[index + 2]) ? index + 2 : index + 1
                names.append(String(characters[start..<index]) + "·" + String(characters[(index + 1)...end]))
            }
            index += 1
        }
        return names
    }

    /// Lowercased, spaces removed, one name dot, simplified characters.
    static func comparable(_ text: String) -> String {
        SearchTerms.foldedToSimplified(String(text.lowercased().compactMap { $0 == " " ? nil : nameDots.contains($0) ? "·" : $0 }))
    }

    /// Exactly three digits at `start`: "1,000" but not "2021,2022".
    static func isThousandsGroup(_ characters: [Character], from start: Int) -> Bool {
        guard start + 3 <= characters.count, characters[start..<(start + 3)].allSatisfy({ asciiDigit($0) != nil }) else { return false }
        return start + 3 == characters.count || asciiDigit(characters[start + 3]) == nil
    }

    static func asciiDigit(_ character: Character) -> Character? {
        guard let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1 else { return nil }
        switch scalar.value {
        case 0x30...0x39: return character
        case 0xFF10...0xFF19: return Character(String(scalar.value - 0xFF10))
        default: return nil
        }
    }
}
