import Foundation
import Transformer

/// The language and script a text is written in, so that a summary comes back in the same one.
public enum TextLanguage: String, Sendable, Codable {
    case simplifiedChinese = "zh-Hans"
    case traditionalChinese = "zh-Hant"
    case english = "en"

    /// Detects Chinese (by Han characters) and its script (by which ICU conversion would change more
    /// characters: a traditional text is changed by Hant→Hans, a simplified one by Hans→Hant).
    public static func detect(_ text: String) -> TextLanguage {
        let sample = String(text.prefix(4000))
        let han = sample.unicodeScalars.filter { $0.properties.isIdeographic }.count
        let letters = sample.unicodeScalars.filter { $0.properties.isAlphabetic && $0.isASCII }.count
        guard han > 0, han * 3 >= letters / 2 else { return .english }
        let asSimplified = sample.applyingTransform(StringTransform("Hant-Hans"), reverse: false) ?? sample
        let asTraditional = sample.applyingTransform(StringTransform("Hans-Hant"), reverse: false) ?? sample
        let traditionalOnly = zip(sample, asSimplified).filter { $0 != $1 }.count
        let simplifiedOnly = zip(sample, asTraditional).filter { $0 != $1 }.count
        return traditionalOnly > simplifiedOnly ? .traditionalChinese : .simplifiedChinese
    }

    public var isChinese: Bool { self != .english }

    /// Chinese text in simplified script, as the model is shown it. Small models read mostly simplified Chinese:
    /// shown a traditional article beside a simplified question, qwen2.5-1.5b missed the answer (騰訊…混元 for
    /// 腾讯) that it found in the same sentence in simplified script. The reader gets the article's script back
    /// (`enforceScript`).
    public static func asModelReads(_ text: String) -> String { SearchTerms.foldedToSimplified(text) }

    /// Rewrites `text` in this script. Small models answer in simplified Chinese whatever they are told;
    /// ICU's Hans→Hant conversion gives the reader back the article's own script.
    public func enforceScript(_ text: String) -> String {
        switch self {
        case .traditionalChinese: text.applyingTransform(StringTransform("Hans-Hant"), reverse: false) ?? text
        case .simplifiedChinese: text.applyingTransform(StringTransform("Hant-Hans"), reverse: false) ?? text
        case .english: text
        }
    }
}
