import Foundation

/// Chinese personal names in an English translation, romanized exactly. A small model translating "周靖人"
/// writes its own guess at the pinyin ("Zhou Jingrui"): a reader who then searches for the name finds someone
/// else. A run of capitalized words whose first word is the surname's pinyin and whose letters are within a
/// few edits of a name in the source text becomes ICU's pinyin for that name with its characters after it:
/// "Zhou Jingren (周靖人)". Names the model romanized right are left as they are.
public enum ChineseNames {
    /// `translation` with each mis-romanized name of `source` corrected; `kept` holds text whose spellings
    /// stand as written (the reader's question: "writing names as the reader did"). A name's characters follow
    /// it where it first appears: `introduced` holds those already given (the text may come in several pieces).
    public static func correctingRomanization(in translation: String, source: String, kept: String = "",
                                              introduced: inout Set<String>) -> String {
        correctingRomanization(in: translation, names: candidateNames(in: source), kept: kept, introduced: &introduced)
    }

    /// The same for the names of a source found once (`candidateNames(in:)`), for a text corrected piece by piece.
    static func correctingRomanization(in translation: String, names: [Name], kept: String, introduced: inout Set<String>) -> String {
        guard !names.isEmpty else { return translation }
        let keptWords = Set(kept.lowercased().split { !$0.isLetter }.map(String.init))
        var out = ""
        var rest = Substring(translation)
        while let match = rest.firstMatch(of: capitalizedRun) {
            out += rest[..<match.range.lowerBound]
            var end = match.range.upperBound
            let words = match.output.split { $0 == " " || $0 == "-" }.map { $0.lowercased() }
            // "Zhou Jingrui Graduated": the name may be the first two words of three.
            let found = [words.count, 2].lazy.compactMap { count -> (Name, Int)? in
                let name = words.prefix(count)
                guard !name.allSatisfy(keptWords.contains), let best = bestName(for: Array(name), among: names) else { return nil }
                return (best, count)
            }.first
            if let (name, count) = found {
                let separators = match.output.indices.filter { [" ", "-"].contains(match.output[$0]) }
                if count < words.count { end = separators[count - 1] }
                if rest[end...].prefix(8).contains(name.characters) {
                    out += name.romanized
                } else {
                    out += name.romanized + (introduced.insert(name.characters).inserted ? " (" + name.characters + ")" : "")
                }
            } else {
                out += match.output
            }
            rest = rest[end...]
        }
        return out + rest
    }

    struct Name {
        let characters: String
        /// Toneless pinyin syllables, lowercase, one per character.
        let syllables: [String]
        /// Surname, then the given name as one word: "Zhou Jingren".
        var romanized: String {
            let given = syllables.dropFirst().joined()
            return syllables[0].capitalized + " " + given.prefix(1).uppercased() + given.dropFirst()
        }
    }

    /// Two or three capitalized words, spaced or hyphenated: "Zhou Jingrui", "Zhou Jing-rui", "Li Yan Hong".
    nonisolated(unsafe) static let capitalizedRun = /[A-Z][a-z]+(?:(?: [A-Z]|-[A-Za-z])[a-z]+){1,2}/

    /// Every two- and three-character run of Han characters in `text`, with its pinyin.
    static func candidateNames(in text: String) -> [Name] {
        var names: [Name] = []
        var seen = Set<String>()
        let characters = Array(SearchTerms.foldedToSimplified(text))
        for start in characters.indices where SearchTerms.isHan(characters[start]) {
            for length in 2...3 where start + length <= characters.count {
                let run = characters[start..<start + length]
                guard run.allSatisfy(SearchTerms.isHan) else { break }
                let name = String(run)
                guard seen.insert(name).inserted,
                      let pinyin = name.applyingTransform(StringTransform("Han-Latin; Latin-ASCII; Lower"), reverse: false) else { continue }
                let syllables = pinyin.split(separator: " ").map(String.init)
                if syllables.count == length, syllables.allSatisfy({ $0.allSatisfy(\.isLetter) }) {
                    names.append(Name(characters: name, syllables: syllables))
                }
            }
        }
        return names
    }

    /// The source name `words` most likely romanize, unless they already do exactly (nil then: nothing to
    /// correct): the surname spelled exactly and the whole within about one edit in five letters, or the
    /// two-syllable given name spelled exactly under a wrong surname ("Meng Renxun" for 黄仁勋).
    static func bestName(for words: [String], among names: [Name]) -> Name? {
        let letters = Array(words.joined())
        var best: (name: Name, distance: Int)?
        for name in names {
            let target = Array(name.syllables.joined())
            let distance = editDistance(letters, target)
            let close = name.syllables[0] == words[0] && distance <= max(1, target.count / 5)
            let givenNameExact = name.syllables.count == 3 && words.count == 2 && words[1] == name.syllables[1...].joined()
            guard close || givenNameExact, distance < best?.distance ?? .max else { continue }
            best = (name, distance)
        }
        guard let best, best.distance > 0 else { return nil }
        return best.name
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
