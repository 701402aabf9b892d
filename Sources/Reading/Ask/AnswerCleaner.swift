import Foundation

/// Cleans a model's answer sentence by sentence as it streams (its `[S#]` markers already removed), so that
/// what the reader sees is what is kept: no prompt echo ("问题：…", "Answer:"), no dangling citation
/// lead-ins ("依据的句子编号是。", "Sources: ."), no empty brackets left by removed markers, and, given the
/// figures shown to the model, no sentence stating a figure that they do not.
struct AnswerCleaner {
    let question: String
    let figures: AnswerFigures?
    /// Applied to each cleaned sentence (a translation's names romanized exactly, `ChineseNames`).
    let rewrite: (String) -> String
    /// What has been released so far.
    private(set) var text = ""
    /// Sentences left out because they state a figure that the model was not shown.
    private(set) var ungroundedSentences: [String] = []
    private var pending = ""

    init(question: String, figures: AnswerFigures? = nil, rewrite: @escaping (String) -> String = { $0 }) {
        self.question = question.trimmingCharacters(in: .whitespacesAndNewlines)
        self.figures = figures
        self.rewrite = rewrite
    }

    /// Takes a piece of the answer; returns the cleaned sentences that it completed.
    mutating func feed(_ piece: String) -> String {
        pending += piece
        var released = ""
        while let end = SentenceSplitter.endOfFirstSentence(in: pending) {
            released += release(String(pending[..<end]))
            pending = String(pending[end...])
        }
        return released
    }

    /// The cleaned rest, at the end of the answer.
    mutating func finish() -> String {
        defer { pending = "" }
        return release(pending)
    }

    private mutating func release(_ sentence: String) -> String {
        var cleaned = rewrite(Self.clean(sentence, question: question))
        if text.isEmpty { cleaned = String(cleaned.drop { $0.isWhitespace }) }
        // A lone closing punctuation mark after a dropped sentence would dangle.
        if cleaned.allSatisfy({ $0.isPunctuation || $0.isWhitespace }) { return "" }
        if let figures, !figures.unsupportedFigures(in: cleaned).isEmpty {
            ungroundedSentences.append(cleaned)
            return ""
        }
        text += cleaned
        text = text.trimmingCharacters(in: .newlines)
        return cleaned
    }

    /// One sentence without echo or citation residue; "" when nothing of it is worth keeping.
    static func clean(_ sentence: String, question: String) -> String {
        var text = sentence
        let core = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // The question repeated, or a line of the prompt echoed.
        if core == question || echoedLine.matches(core) { return sentence.hasSuffix("\n") ? "\n" : "" }
        // A sentence that only announces citations ("The sentence numbers used are .").
        if citationOnly.matches(core) { return "" }
        text = answerLabel.replace(in: text, with: "")
        text = bareMarker.replace(in: text, with: "")
        text = leadIn.replace(in: text, with: "")
        text = emptyBrackets.replace(in: text, with: "")
        // The markers are already gone: brackets left are the excerpt format echoed ("[Jasper.AI] 成立…").
        text = wrappingBrackets.replace(in: text, with: "$1")
        text = strayBrackets.replace(in: text, with: "")
        text = spaceBeforePunctuation.replace(in: text, with: "$1")
        text = doubledPunctuation.replace(in: text, with: "$1")
        return text
    }

    static let echoedLine = Pattern(#"^(问题|問題|question)\s*[：:]"#)
    /// A marker written without its brackets at the start of a sentence ("S67  Alexandr Wang founded…").
    static let bareMarker = Pattern(#"^\s*S\d+(\s*[,，、]\s*S\d+)*(\s+|(?=\p{Han}))"#)
    static let answerLabel = Pattern(#"^\s*(答案|回答|答|answer)\s*[：:]\s*"#)
    /// "，依据的句子编号是" and the like, wherever they stand once the markers are gone.
    static let leadIn = Pattern(#"[，,；;]?\s*(（|\()?(依据|依據|根据|根據|参考|參考|引用)(的|了)?(句子|片段)?(编号|編號|序号|序號)(是|为|為|如下)?\s*[：:]?\s*(）|\))?"#)
    static let citationOnly = Pattern(#"^(\(|（)?\s*(the\s+)?(sentence\s+numbers?|sources?|evidence|references?|citations?|cited\s+sentences?)(\s+(used|relied\s+on|are|is))*\s*[:：]?\s*[.。]?\s*(\)|）)?\s*[.。]?$"#)
    static let emptyBrackets = Pattern(#"\s*(\(\s*[,，、]?\s*\)|（\s*[,，、]?\s*）|\[\s*\]|［\s*］)"#)
    static let wrappingBrackets = Pattern(#"[\[［]([^\[\]［］]*)[\]］]"#)
    static let strayBrackets = Pattern(#"[\[\]［］]"#)
    static let spaceBeforePunctuation = Pattern(#"\s+([。，、；：！？.,;:!?])"#)
    static let doubledPunctuation = Pattern(#"[，,、；;]*([。.！？!?])[。.]+"#)
}

/// A case-insensitive regular expression compiled once.
struct Pattern: @unchecked Sendable {
    let regex: NSRegularExpression?

    init(_ pattern: String) {
        // The patterns are literals of this file: one that does not compile matches nothing, which the
        // cleaner's tests show.
        regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }

    func matches(_ text: String) -> Bool {
        regex?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    func replace(in text: String, with template: String) -> String {
        regex?.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template) ?? text
    }
}
