import Foundation
import Transformer

/// One numbered sentence of a cleaned text, for `[S#]` citations.
public struct Sentence: Sendable, Equatable {
    /// 1-based.
    public let index: Int
    public let text: String
    /// Where the sentence is in the cleaned text.
    public let range: Range<String.Index>
    /// The same range counted in Unicode scalars.
    public let scalarRange: Range<Int>
    /// Where the sentence starts in the user's original file.
    public let source: SourcePosition
}

/// Splits cleaned text into sentences, Chinese and English alike.
///
/// A sentence ends after `。！？；…` (with any closing quotes or brackets after them), after `.!?` when
/// whitespace, a Han character or the end follows (not in `3.5`, `U.S.`, `e.g.`, `Mr.`), and at every line
/// break. Sentences longer than `maximumLength` scalars are cut after commas, since a summary cites sentences
/// and a 1,000-character "sentence" (lists, run-on quotes) is useless as a citation target.
public struct SentenceSplitter: Sendable {
    public var maximumLength: Int

    public init(maximumLength: Int = 300) {
        self.maximumLength = max(maximumLength, 20)
    }

    public func split(_ cleaned: CleanedText) -> [Sentence] {
        var sentences: [Sentence] = []
        for range in sentenceRanges(cleaned.scalars) {
            for piece in splitLong(range, in: cleaned.scalars) {
                guard let trimmed = trimmed(piece, in: cleaned.scalars) else { continue }
                let stringRange = cleaned.index(ofScalarOffset: trimmed.lowerBound)..<cleaned.index(ofScalarOffset: trimmed.upperBound)
                sentences.append(Sentence(
                    index: sentences.count + 1,
                    text: String(cleaned.text[stringRange]),
                    range: stringRange,
                    scalarRange: trimmed,
                    source: cleaned.sourcePosition(ofScalarOffset: trimmed.lowerBound)
                ))
            }
        }
        return sentences
    }

    // MARK: - Sentence ends

    static let fullWidthTerminators: Set<Unicode.Scalar> = ["。", "！", "？", "；", "…", "\u{FF61}", "\u{203C}", "\u{2047}", "\u{2048}", "\u{2049}"]
    static let asciiTerminators: Set<Unicode.Scalar> = [".", "!", "?"]
    static let closers: Set<Unicode.Scalar> = ["”", "’", "」", "』", "）", "】", "》", "〉", "〕", "\"", "'", ")", "]"]
    /// Openers that, like a Han character, may start the next sentence right after `.!?` with no space.
    static let cjkOpeners: Set<Unicode.Scalar> = ["「", "『", "“", "‘", "（", "《", "【", "〈"]
    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "inc", "ltd", "co", "corp", "no", "nos", "fig", "figs",
        "eq", "vol", "pp", "approx", "dept", "est", "al", "cf", "ca", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "gen", "gov", "rev", "mt", "ft",
    ]

    /// Sentence ranges (untrimmed) in scalar offsets.
    func sentenceRanges(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        var index = 0
        let count = scalars.count
        while index < count {
            let scalar = scalars[index]
            if scalar == "\n" {
                ranges.append(start..<index)
                start = index + 1
                index += 1
                continue
            }
            let isFullWidth = Self.fullWidthTerminators.contains(scalar)
            guard isFullWidth || Self.asciiTerminators.contains(scalar) else {
                index += 1
                continue
            }
            // Take the whole cluster of terminators ("？！", "……", "?!", "...") and the closers after it.
            var end = index + 1
            var clusterIsFullWidth = isFullWidth
            while end < count, Self.fullWidthTerminators.contains(scalars[end]) || Self.asciiTerminators.contains(scalars[end]) {
                if Self.fullWidthTerminators.contains(scalars[end]) { clusterIsFullWidth = true }
                end += 1
            }
            while end < count, Self.closers.contains(scalars[end]) { end += 1 }

            if clusterIsFullWidth || asciiTerminatorEndsSentence(scalars, terminatorAt: index, clusterEnd: end, sentenceStart: start) {
                ranges.append(start..<end)
                start = end
            }
            index = end
        }
        ranges.append(start..<count)
        return ranges
    }

    private func asciiTerminatorEndsSentence(_ scalars: [Unicode.Scalar], terminatorAt index: Int, clusterEnd end: Int, sentenceStart: Int) -> Bool {
        if end < scalars.count {
            let next = scalars[end]
            guard next.properties.isWhitespace || isHan(next) || Self.cjkOpeners.contains(next) else { return false }
        }
        // Only a single "." can be an abbreviation or an enumeration; "?" and "..." always end.
        guard scalars[index] == ".", end == index + 1 || !Self.asciiTerminators.contains(scalars[index + 1]) else { return true }
        return !isAbbreviationOrEnumeration(scalars, periodAt: index, sentenceStart: sentenceStart)
    }

    /// "U.S.", "e.g.", "Ph.D.", "J. Smith", "Mr.", "et al.", or "1." opening a line's list item.
    private func isAbbreviationOrEnumeration(_ scalars: [Unicode.Scalar], periodAt index: Int, sentenceStart: Int) -> Bool {
        var wordStart = index
        while wordStart > sentenceStart, scalars[wordStart - 1].isASCII,
              scalars[wordStart - 1].properties.isAlphabetic || scalars[wordStart - 1] == "." || ("0"..."9").contains(scalars[wordStart - 1]) {
            wordStart -= 1
        }
        let word = String(String.UnicodeScalarView(scalars[wordStart..<index]))
        guard !word.isEmpty else { return false }
        if word.allSatisfy(\.isNumber) {
            // "1. " at the start of a sentence numbers a list item; "in 2023. " ends a sentence.
            let beforeIsBlank = scalars[sentenceStart..<wordStart].allSatisfy { $0.properties.isWhitespace }
            return beforeIsBlank && word.count <= 3
        }
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 2 {
            return parts.allSatisfy { !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(\.isLetter) }
        }
        if word.count == 1, word.allSatisfy(\.isUppercase) { return true }  // an initial: "J. Smith"
        return Self.abbreviations.contains(word.lowercased())
    }

    // MARK: - Long sentences

    /// Cuts a range longer than `maximumLength` after commas (not inside numbers like "1,000"); a stretch
    /// without any comma stays whole.
    func splitLong(_ range: Range<Int>, in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        guard range.count > maximumLength else { return [range] }
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        while range.upperBound - start > maximumLength {
            let limit = start + maximumLength
            var cut: Int?
            var firstAfterLimit: Int?
            for index in start..<range.upperBound where isSplittableComma(scalars, at: index) {
                if index < limit {
                    cut = index + 1
                } else {
                    firstAfterLimit = index + 1
                    break
                }
            }
            // Prefer the last comma within the limit unless that leaves a tiny first piece.
            if let chosen = cut, chosen - start >= maximumLength / 4 {
                cut = chosen
            } else {
                cut = firstAfterLimit ?? cut
            }
            guard let cutPoint = cut, cutPoint < range.upperBound, cutPoint > start else { break }
            pieces.append(start..<cutPoint)
            start = cutPoint
        }
        pieces.append(start..<range.upperBound)
        return pieces
    }

    private func isSplittableComma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        let scalar = scalars[index]
        if scalar == "，" { return true }
        guard scalar == "," else { return false }
        let digitBefore = index > 0 && ("0"..."9").contains(scalars[index - 1])
        let digitAfter = index + 1 < scalars.count && ("0"..."9").contains(scalars[index + 1])
        return !(digitBefore && digitAfter)
    }

    /// The range without leading and trailing whitespace; nil when nothing is left.
    private func trimmed(_ range: Range<Int>, in scalars: [Unicode.Scalar]) -> Range<Int>? {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, scalars[lower].properties.isWhitespace { lower += 1 }
        while upper > lower, scalars[upper - 1].properties.isWhitespace { upper -= 1 }
        return lower < upper ? lower..<upper : nil
    }

    /// Where the first finished sentence of text being written ends (just past its end mark), if one is finished:
    /// at 。！？；, a line break, or . ! ? followed by white space. Model output is cut here as it streams.
    public static func endOfFirstSentence(in text: String) -> String.Index? {
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if "。！？；\n".contains(character) { return next }
            if ".!?".contains(character), next < text.endIndex, text[next].isWhitespace { return next }
            index = next
        }
        return nil
    }
}
