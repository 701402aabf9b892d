import Foundation
import Transformer

/// How long a summary should be. The number of points follows the article's size (`pointCount(articleTokens:)`):
/// a short note gets a few, a long report up to a dozen; `short` and `long` scale that down and up.
public enum SummaryLength: String, Sendable, CaseIterable {
    case short, medium, long

    /// Points for an article of `articleTokens` tokens: growing with the square root of its size, three for a
    /// note of a few paragraphs, ten for a 2,500-token article, twelve from about 3,600 tokens on.
    public func pointCount(articleTokens: Int) -> Int {
        let medium = max(3, Int(2 * (Double(articleTokens) / 100).squareRoot()))
        switch self {
        case .short: return min(6, max(2, (medium + 1) / 2))
        case .medium: return min(12, medium)
        case .long: return min(16, max(4, medium * 3 / 2))
        }
    }
}

/// One point of a summary and the sentences (1-based, `[S#]`) that support it.
public struct SummaryPoint: Sendable, Encodable, Equatable {
    public var text: String
    public var citations: [Int]

    public init(text: String, citations: [Int]) {
        self.text = text
        self.citations = citations
    }
}

public struct Summary: Sendable, Encodable {
    public var points: [SummaryPoint] = []
    public var language: TextLanguage
    /// Points the plan asked for: one per region of the article with sentences worth condensing.
    public var plannedPoints = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    public var seconds: Double = 0
    /// Seconds until the first point was ready.
    public var firstPointSeconds: Double?
    /// Largest prompt of any step, against the context size: nothing is truncated silently.
    public var largestPromptTokens = 0
    public var contextSize = 0
    /// Sentences the model wrote and that were left out: no source sentence holds their numbers and names, or
    /// they are garbled.
    public var droppedSentences = 0
    /// Steps stopped by the loop detector.
    public var loopsStopped = 0
    /// Sentences the model first wrote as a copy of a source sentence, and how many of them it then put in other words.
    public var copiedSentences = 0
    public var rewordedSentences = 0

    public init(language: TextLanguage) { self.language = language }

    /// The summary as text: one point per line with its citations.
    public var text: String { points.map(\.line).joined(separator: "\n") }
}

extension SummaryPoint {
    /// The point as one line of the summary: `- text [S3] [S7]`.
    public var line: String { "- " + text + citations.map { " [S\($0)]" }.joined() }
}

/// What the summarizer reports while it works.
public enum SummaryEvent: Sendable {
    /// Point `index` of `count` starts, with its prompt size and the sentences (1-based, `[S#]`) it condenses.
    case pointStarted(index: Int, count: Int, promptTokens: Int, sentences: [Int])
    /// A step of point `index` ended (its condensing, or the rewording of one of its sentences), with what the model wrote.
    case stepFinished(point: Int, stats: GenerationStats, text: String)
}

/// Summaries in the model's own words, each point citing the sentences it rests on.
///
/// The summary gets a number of points that follows the article's size. The article is cut into that many
/// regions of equal size, and each region gives its sentences that say the most (`KeySentences`): so a long
/// article's summary covers all of it, and the points carry its names and numbers. The model condenses each
/// region's sentences into one point in its own words; the point then cites those of the sentences that hold
/// its wording, its numbers and its names (`CitationSupport`), and a point whose numbers or names none of them
/// holds is dropped as invented. The points are independent, so several are written at once
/// (`BatchGenerator`: one read of the weights per token of all of them); each is passed on, in order, as soon
/// as it and the points before it are final.
public final class Summarizer {
    let runtime: ModelRuntime
    let session: Session
    let template: ChatTemplate
    /// Sentences condensed into one point, at most (`sentencesPerPoint(_:sentences:points:)`): four carry most of
    /// what a region says; five make points too long for the model to keep every fact (key points covered, BENCHMARKS.md).
    let sentencesPerPoint: Int
    /// Points written at once.
    let parallelPoints: Int
    /// Draft tokens by prompt lookup each point verifies at most per step (0: no drafting): a point condenses
    /// sentences that are in its prompt, and copies their names, numbers and phrases.
    let maxDraft: Int
    /// Generation budget per sentence condensed (a condensed sentence is about 50 characters).
    let tokensPerSentence = 70
    /// Characters after which an unfinished sentence is no longer a point.
    static let longestSentence = 160

    /// Polled after every token; true stops the summary, which then throws `CancellationError` (the
    /// server's client went away).
    public var isCancelled: () -> Bool = { false }
    /// The text the model writes for the next point to be passed on, as it writes it (raw: before the point is
    /// parsed and its citations attached). The server streams it as a draft.
    public var onText: (String) -> Void = { _ in }

    public static let defaultSentencesPerPoint = 4
    /// Decoding four points at once gives about twice the tokens per second of one (BENCHMARKS.md); more adds
    /// little.
    public static let defaultParallelPoints = 4

    /// - Parameters:
    ///   - session: the first of the sessions the points are written on; the others share its threads.
    public init(runtime: ModelRuntime, session: Session, template: ChatTemplate, sentencesPerPoint: Int = defaultSentencesPerPoint,
                parallelPoints: Int = defaultParallelPoints, maxDraft: Int = 0) {
        self.runtime = runtime
        self.session = session
        self.template = template
        self.sentencesPerPoint = max(1, sentencesPerPoint)
        self.parallelPoints = max(1, parallelPoints)
        self.maxDraft = max(0, maxDraft)
    }

    /// Positions of each session's context.
    public var contextSize: Int { session.contextSize }

    /// The sessions points are written on: `session` and more of its size on its threads, made once.
    private var generator: BatchGenerator?
    private func makeGenerator() throws -> BatchGenerator {
        if let generator { return generator }
        var sessions = [session]
        for _ in 1..<parallelPoints {
            sessions.append(try Session(model: session.model, contextSize: session.contextSize, threads: session.state.pool.threadCount,
                                        pool: session.state.pool))
        }
        let made = try BatchGenerator(sessions: sessions, tokenizer: runtime.tokenizer, draftCapacity: maxDraft)
        generator = made
        return made
    }

    /// - Parameters:
    ///   - onEvent: each point started and each generation step finished, for progress and `-v`.
    ///   - onPoint: each point as soon as it and the points before it are final, in order.
    public func summarize(sentences: [String], length: SummaryLength, language: TextLanguage,
                          onEvent: @escaping (SummaryEvent) -> Void = { _ in }, onPoint: @escaping (SummaryPoint) -> Void = { _ in }) throws -> Summary {
        let run = try SummaryRun(summarizer: self, sentences: sentences, length: length, language: language, onEvent: onEvent, onPoint: onPoint)
        try makeGenerator().run(next: run.next, onText: run.take, onFinish: run.finished, isCancelled: isCancelled)
        return run.finish()
    }

    /// Sentences each point condenses: at most `limit`, and together at most about half the article's sentences,
    /// so that the summary of a short note is shorter than the note.
    static func sentencesPerPoint(_ limit: Int, sentences: Int, points: Int) -> Int {
        min(limit, max(1, (sentences + 2 * points - 1) / (2 * max(1, points))))
    }

    /// Sentences as one text, each ended by a full stop (a sentence cut at "；" gets one).
    static func joined(_ sentences: [String], language: TextLanguage) -> String {
        let ends: Set<Character> = ["。", "！", "？", ".", "!", "?", "”", "\"", "」", ")", "）"]
        return sentences.enumerated().map { index, sentence in
            index == sentences.count - 1 || sentence.last.map(ends.contains) == true ? sentence : sentence + (language.isChinese ? "。" : ".")
        }.joined(separator: language.isChinese ? "" : " ")
    }

    /// A step's prompt must leave room for its answer.
    func checkRoom(_ tokens: [Int32]) throws {
        guard tokens.count + 16 <= session.contextSize else {
            throw GenerationError.contextExceeded(needed: tokens.count + 16, contextSize: session.contextSize)
        }
    }

    /// A step's text, cut into points as it arrives (`SentenceSplitter.endOfFirstSentence`, `parsePoint`): the
    /// step has enough when it holds `wanted` of them, or when a sentence runs past `longestSentence` (the
    /// article copied out, not a point).
    struct StepText {
        let wanted: Int
        private(set) var raw = ""
        private(set) var sentences: [String] = []
        private var pending = ""

        init(wanted: Int) { self.wanted = wanted }

        var enough: Bool { sentences.count >= wanted || pending.count > Summarizer.longestSentence }

        /// Takes the next piece of text; false when the step has enough.
        mutating func append(_ text: String) -> Bool {
            raw += text
            pending += text
            while sentences.count < wanted, let end = SentenceSplitter.endOfFirstSentence(in: pending) {
                let sentence = String(pending[..<end])
                pending = String(pending[end...])
                if let point = Summarizer.parsePoint(sentence) { sentences.append(point) }
            }
            return !enough
        }

        /// The step ended: its last sentence counts only when the model ended it (one cut off by the budget is not a point).
        mutating func finish(_ reason: FinishReason) {
            if !enough, ![.length, .contextFull, .cancelled].contains(reason), let point = Summarizer.parsePoint(pending) {
                sentences.append(point)
            }
            pending = ""
        }
    }

    /// Whether `text` copies one of `sentences`: a run of characters it shares with a single sentence makes up
    /// 70 % or more of its letters and digits (punctuation, spaces and script differences aside).
    static func copies(_ text: String, of sentences: [String]) -> Bool {
        func letters(_ text: String) -> [Character] {
            Array(SearchTerms.foldedToSimplified(text).lowercased().filter { $0.isLetter || $0.isNumber })
        }
        let claim = letters(text)
        guard !claim.isEmpty else { return false }
        let needed = Int((0.7 * Double(claim.count)).rounded(.up))
        for sentence in sentences {
            let other = letters(sentence)
            guard other.count >= needed else { continue }
            var previous = [Int](repeating: 0, count: other.count + 1)
            var current = previous
            for character in claim {
                for (j, candidate) in other.enumerated() {
                    current[j + 1] = character == candidate ? previous[j] + 1 : 0
                    if current[j + 1] >= needed { return true }
                }
                swap(&previous, &current)
            }
        }
        return false
    }

    func promptTokens(system: String, user: String) -> [Int32] {
        template.tokens([ChatMessage(role: .system, content: system), ChatMessage(role: .user, content: user)], tokenizer: runtime.tokenizer)
    }

    // MARK: - Points and citations

    /// The point a sentence of the model's summary makes: list bullets and numbers, any `[S#]`, a leading
    /// connective ("此外，", "Also, ") and leaked template tokens removed; nil when too little is left.
    static func parsePoint(_ sentence: String) -> String? {
        var text = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
        if let leaked = text.range(of: "<|") ?? text.range(of: "|im_end|") { text = String(text[..<leaked.lowerBound]) }
        if let first = text.first, "-*•·".contains(first) {
            text.removeFirst()
        } else if let dot = text.firstIndex(where: { ".、)）".contains($0) }), text.distance(from: text.startIndex, to: dot) <= 2,
                  text[..<dot].allSatisfy(\.isNumber) {
            text = String(text[text.index(after: dot)...])
        }
        text = CitationMarkers.extract(from: text).text.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "*")))
        for connective in connectives where text.hasPrefix(connective) {
            text = String(text.dropFirst(connective.count)).trimmingCharacters(in: .whitespaces)
            break
        }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "；;，,"))
        if text.hasSuffix("；") || text.hasSuffix(";") { text.removeLast() }
        return text.count >= 6 ? text : nil
    }

    /// Openings that tie a sentence to the one before; a point stands alone.
    static let connectives = ["此外，", "此外,", "同时，", "同时,", "另外，", "另外,", "而且，", "并且，", "Also, ", "In addition, ", "Meanwhile, ", "Additionally, "]

    /// The point with the sentences of its part it rests on: chosen greedily, each adding the most of the point's
    /// wording not yet covered, up to four, and then any sentence of the part needed for a number or a name the
    /// point states. Nil when the point is garbled (`repeatsItself`), when its numbers or names are in no sentence
    /// of the part (the model invented them), or when no sentence shares enough of its wording.
    static func cited(_ text: String, sentences: [String], part: [Int]) -> SummaryPoint? {
        if repeatsItself(text) { return nil }
        let claimTerms = Set(SearchTerms.terms(of: text))
        let partTerms = part.map { Set(SearchTerms.terms(of: sentences[$0])) }
        var covered = Set<String>()
        var chosen: [Int] = []
        while chosen.count < 4 {
            let gains = partTerms.map { $0.intersection(claimTerms).subtracting(covered).count }
            guard let best = gains.indices.max(by: { gains[$0] < gains[$1] }),
                  gains[best] >= max(2, claimTerms.count / 8) else { break }
            chosen.append(best)
            covered.formUnion(partTerms[best].intersection(claimTerms))
        }
        // A number or a name the chosen sentences lack may come from another sentence of the part, one that
        // also shares the point's other wording: a sentence that merely mentions the name does not support it.
        for missing in CitationSupport.missingSpecifics(claim: text, sentences: chosen.map { sentences[part[$0]] }) {
            let ownTerms = Set(SearchTerms.terms(of: missing))
            let holders = part.indices.filter { index in
                !chosen.contains(index) && partTerms[index].intersection(claimTerms).subtracting(ownTerms).count >= 2
                    && CitationSupport.missingSpecifics(claim: missing, sentences: [sentences[part[index]]]).isEmpty
            }
            if let holder = holders.max(by: { partTerms[$0].intersection(claimTerms).count < partTerms[$1].intersection(claimTerms).count }) {
                chosen.append(holder)
                covered.formUnion(partTerms[holder].intersection(claimTerms))
            }
        }
        let support = claimTerms.isEmpty ? 0 : Double(covered.count) / Double(claimTerms.count)
        guard support >= 0.3, CitationSupport.missingSpecifics(claim: text, sentences: chosen.map { sentences[part[$0]] }).isEmpty else {
            return nil
        }
        return SummaryPoint(text: text, citations: chosen.map { part[$0] + 1 }.sorted())
    }

    /// Whether a point says one phrase of six or more Chinese characters twice: a garbled point, not a summary.
    static func repeatsItself(_ text: String) -> Bool {
        let length = 6
        var seen = Set<String>()
        for run in text.split(whereSeparator: { !SearchTerms.isHan($0) }) where run.count >= length {
            let characters = Array(run)
            for start in 0...(characters.count - length) where !seen.insert(String(characters[start..<(start + length)])).inserted {
                return true
            }
        }
        return false
    }

    func isDuplicate(_ point: SummaryPoint, of points: [SummaryPoint]) -> Bool {
        points.contains { CitationSupport.overlap(claim: point.text, sentence: $0.text) >= 0.7 }
    }

    func localized(_ point: SummaryPoint, _ language: TextLanguage) -> SummaryPoint {
        SummaryPoint(text: language.enforceScript(point.text), citations: point.citations)
    }
}

/// The instructions, in the article's language.
struct Prompts {
    let language: TextLanguage

    var system: String {
        language.isChinese ? "你是新闻摘要助手。只使用原文的信息，不编造，不评论。" : "You are a news summarizer. Use only the text's information; do not invent or comment."
    }

    /// A point that copied a sentence, to be said again shorter and in other words.
    func reword(_ point: String) -> String {
        language.isChinese
            ? "请换一种说法转述下面这句话，用一句更短的话（不超过30个字），保留人名、机构和数字：\n\(point)"
            : "Say the following sentence again in other words, as one shorter sentence (at most 20 words) that keeps the names, organizations and numbers:\n\(point)"
    }

    /// The sentences to condense into one point, each into a shorter sentence of its own. Shown as a list and
    /// told the sentences may tell different things, small models keep the facts apart; asked for one sentence
    /// for all, they join unrelated facts with a cause of their own ("两位密友…是其主要开发者").
    func condense(_ sentences: [String]) -> String {
        let list = sentences.map { "- " + $0 }.joined(separator: "\n")
        if language.isChinese {
            return "下面几句话摘自同一篇文章，讲的可能是不同的事。请把每句话各缩写成一句更短的话，写清楚谁做了什么、关键数字和结果，用自己的话，不要照抄原句。\n" + list
        }
        return "The sentences below come from one article and may tell different things. Shorten each into one sentence of your own that says who did what, the key numbers and the outcome. Do not copy the sentences.\n" + list
    }
}
