import Foundation
import Transformer

/// How long a summary should be.
public enum SummaryLength: String, Sendable, CaseIterable {
    case short, medium, long

    /// Points in the final summary.
    var pointCount: Int {
        switch self {
        case .short: 4
        case .medium: 6
        case .long: 10
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
    public var chunks = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    public var seconds: Double = 0
    /// Largest prompt of any step, against the context size: nothing is truncated silently.
    public var largestPromptTokens = 0
    public var contextSize = 0
    /// Citations removed because the cited sentence did not support the point.
    public var droppedCitations = 0
    /// Points removed because no sentence they could cite holds their numbers and names.
    public var droppedPoints = 0
    /// Steps stopped by the loop detector.
    public var loopsStopped = 0
    /// The model's merge covered too little of the article and the parts' own points were used.
    public var reduceFellBack = false
    /// Parts whose key points are their most central sentences, because the model copied the part's opening.
    public var extractiveParts = 0

    /// The summary as text: one point per line with its citations.
    public var text: String { points.map(\.line).joined(separator: "\n") }
}

extension SummaryPoint {
    /// The point as one line of the summary: `- text [S3] [S7]`.
    public var line: String { "- " + text + citations.map { " [S\($0)]" }.joined() }
}

/// What the summarizer reports while it works.
public enum SummaryEvent: Sendable {
    /// Map step `index` of `count` starts, with its prompt size.
    case mapStarted(index: Int, count: Int, promptTokens: Int)
    case reduceStarted(inputs: Int, promptTokens: Int)
    case stepFinished(stats: GenerationStats)
}

/// Map-reduce summarization with citations.
///
/// The numbered sentences are packed, whole, into chunks measured with the model's tokenizer so that
/// each prompt leaves room for its answer; each chunk yields key points citing `[S#]` (map); the points
/// are then merged into the final summary (reduce, recursively when they do not fit one prompt).
/// Every citation is checked against the cited sentence (`CitationSupport`: shared wording, and the point's
/// numbers and names) and dropped when it does not support the point; points are deduplicated; Chinese
/// output is put back into the article's script. Small models often copy instead of summarizing: a part whose
/// points are its opening sentences is represented by its most central sentences, and a merge that lists more
/// points than asked keeps the parts' points in turn.
public final class Summarizer {
    let runtime: ModelRuntime
    let session: Session
    let template: ChatTemplate
    /// Tokens reserved for each answer.
    let answerTokens = 400
    /// Target size of the article text in one map prompt: small enough that a small model still reads
    /// all of it (long prompts made the models of the catalog copy the opening instead).
    let chunkTokens: Int

    /// Polled after every token; true stops the summary, which then throws `CancellationError` (the
    /// server's client went away).
    public var isCancelled: () -> Bool = { false }
    /// Each piece of text as the model writes it, in every step (raw: before points are parsed and
    /// citations checked). The server streams it as a draft while a step runs.
    public var onText: (String) -> Void = { _ in }

    public init(runtime: ModelRuntime, session: Session, template: ChatTemplate, chunkTokens: Int = 1400) {
        self.runtime = runtime
        self.session = session
        self.template = template
        self.chunkTokens = min(chunkTokens, max(256, session.contextSize - answerTokens - 300))
    }

    public func summarize(sentences: [String], length: SummaryLength, language: TextLanguage,
                          onEvent: (SummaryEvent) -> Void = { _ in }, onPoint: (SummaryPoint) -> Void = { _ in }) throws -> Summary {
        let start = Date()
        var summary = Summary(language: language)
        summary.contextSize = session.contextSize
        let prompts = Prompts(language: language)
        let chunks = try packChunks(sentences)
        summary.chunks = chunks.count

        // Map: key points of each chunk.
        var points: [SummaryPoint] = []
        var chunkOfPoint: [Int] = []
        let vocabulary = ArticleVocabulary(sentences: sentences)
        let perChunk = chunks.count == 1 ? length.pointCount : max(3, min(5, length.pointCount * 2 / chunks.count + 1))
        for (index, chunk) in chunks.enumerated() {
            let text = chunk.map { "[S\($0 + 1)] \(sentences[$0])" }.joined(separator: "\n")
            let user = prompts.map(part: index + 1, of: chunks.count, text: text, points: perChunk)
            let tokens = promptTokens(system: prompts.system, user: user)
            onEvent(.mapStarted(index: index + 1, count: chunks.count, promptTokens: tokens.count))
            let answer = try run(tokens, maxTokens: perChunk * 90, into: &summary, onEvent: onEvent)
            var candidates: [SummaryPoint] = []
            for point in parsePoints(answer) {
                guard let checked = Self.check(point, sentences: sentences, allowed: Set(chunk.map { $0 + 1 }), summary: &summary),
                      !isDuplicate(checked, of: points + candidates) else { continue }
                candidates.append(checked)
            }
            let selection = Self.select(candidates, of: chunk, count: perChunk, sentences: sentences, vocabulary: vocabulary)
            let kept = selection.points.filter { !isDuplicate($0, of: points) }
            if selection.copied { summary.extractiveParts += 1 }
            points += kept
            chunkOfPoint += Array(repeating: index, count: kept.count)
            if chunks.count == 1 { kept.forEach { onPoint(localized($0, language)) } }
        }

        // Reduce: merge the points, in groups that fit one prompt, until one summary remains.
        if chunks.count > 1 {
            var merged = try reduce(points, length: length, prompts: prompts, sentences: sentences, summary: &summary, onEvent: onEvent)
            func part(of point: SummaryPoint) -> Int {
                point.citations.first.flatMap { number in chunks.firstIndex { $0.contains(number - 1) } } ?? chunks.count
            }
            // A merge that lists more points than asked (small models copy their input) keeps the first points of
            // every part in turn, not the first points of the article.
            if merged.count > length.pointCount {
                merged = Self.roundRobin(merged, parts: merged.map(part), count: length.pointCount)
            }
            // Small models often "merge" by copying the first points, dropping the rest of the article. When the
            // merged points cite fewer than half of the parts that had points, take the best points of every part
            // in turn instead (each part lists its most important point first).
            let partsWithPoints = Set(chunkOfPoint).count
            let citedParts = Set(merged.flatMap(\.citations).compactMap { number in chunks.firstIndex { $0.contains(number - 1) } })
            if citedParts.count * 2 < min(partsWithPoints, length.pointCount) {
                points = Self.roundRobin(points, parts: chunkOfPoint, count: length.pointCount)
                summary.reduceFellBack = true
            } else {
                points = merged
            }
            points.forEach { onPoint(localized($0, language)) }
        }
        summary.points = points.map { localized($0, language) }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    // MARK: - Steps

    /// The merged points; the final merge's may be more than `length` asks for (the caller chooses among them).
    private func reduce(_ input: [SummaryPoint], length: SummaryLength, prompts: Prompts, sentences: [String], summary: inout Summary,
                        onEvent: (SummaryEvent) -> Void) throws -> [SummaryPoint] {
        var points = input
        let allowed = Set(1...max(1, sentences.count))
        while true {
            // The largest prefix of points whose reduce prompt fits the budget.
            var groups: [[SummaryPoint]] = []
            var current: [SummaryPoint] = []
            for point in points {
                let candidate = current + [point]
                if !current.isEmpty,
                   promptTokens(system: prompts.system, user: prompts.reduce(points: candidate.map(\.line).joined(separator: "\n"), count: length.pointCount)).count
                    > session.contextSize - answerTokens {
                    groups.append(current)
                    current = [point]
                } else {
                    current = candidate
                }
            }
            if !current.isEmpty { groups.append(current) }
            let isFinal = groups.count == 1
            var merged: [SummaryPoint] = []
            for group in groups {
                let user = prompts.reduce(points: group.map(\.line).joined(separator: "\n"), count: length.pointCount)
                let tokens = promptTokens(system: prompts.system, user: user)
                onEvent(.reduceStarted(inputs: group.count, promptTokens: tokens.count))
                let answer = try run(tokens, into: &summary, onEvent: onEvent)
                for point in parsePoints(answer) {
                    guard let checked = Self.check(point, sentences: sentences, allowed: allowed, summary: &summary),
                          !isDuplicate(checked, of: merged) else { continue }
                    merged.append(checked)
                }
            }
            // A reduce that produced nothing usable keeps the map points rather than losing them.
            if merged.isEmpty { return Array(points.prefix(length.pointCount)) }
            if isFinal || merged.count >= points.count { return merged }
            points = merged
        }
    }

    /// Up to `count` points taken from the parts in turn, keeping the article's order.
    static func roundRobin(_ points: [SummaryPoint], parts: [Int], count: Int) -> [SummaryPoint] {
        var byPart: [Int: [Int]] = [:]
        for (index, part) in parts.enumerated() { byPart[part, default: []].append(index) }
        var chosen: [Int] = []
        var rank = 0
        while chosen.count < min(count, points.count) {
            var added = false
            for part in byPart.keys.sorted() {
                guard let list = byPart[part], rank < list.count, chosen.count < count else { continue }
                chosen.append(list[rank])
                added = true
            }
            if !added { break }
            rank += 1
        }
        return chosen.sorted().map { points[$0] }
    }

    /// Greedy generation of one step, with the loop detector on.
    private func run(_ tokens: [Int32], maxTokens: Int? = nil, into summary: inout Summary, onEvent: (SummaryEvent) -> Void) throws -> String {
        summary.largestPromptTokens = max(summary.largestPromptTokens, tokens.count)
        guard tokens.count + 16 <= session.contextSize else {
            throw GenerationError.contextExceeded(needed: tokens.count + 16, contextSize: session.contextSize)
        }
        let generator = TextGenerator(session: session, tokenizer: runtime.tokenizer)
        let options = GenerationOptions(maxTokens: min(maxTokens ?? answerTokens, answerTokens, session.contextSize - tokens.count), sampling: .greedy,
                                        stopStrings: [], loopWindow: 24)
        let (text, stats) = try generator.generate(prompt: tokens, options: options,
                                                   onPromptProgress: { _, _ in !isCancelled() }, onText: { text in
                                                       onText(text)
                                                       return !isCancelled()
                                                   })
        if stats.finishReason == .cancelled { throw CancellationError() }
        summary.promptTokens += stats.evaluatedPromptTokens
        summary.generatedTokens += stats.generatedTokens
        if stats.finishReason == .repetition { summary.loopsStopped += 1 }
        onEvent(.stepFinished(stats: stats))
        return Self.droppingCutOffLine(text, finishReason: stats.finishReason)
    }

    /// A step cut off by its token budget ends in the middle of a point: that last line is not a point.
    static func droppingCutOffLine(_ text: String, finishReason: FinishReason) -> String {
        guard [.length, .contextFull].contains(finishReason), !text.hasSuffix("\n") else { return text }
        return text.lastIndex(where: \.isNewline).map { String(text[..<$0]) } ?? ""
    }

    private func promptTokens(system: String, user: String) -> [Int32] {
        let prompt = template.prompt([ChatMessage(role: .system, content: system), ChatMessage(role: .user, content: user)])
        return runtime.tokenizer.encode(prompt, addBOS: true)
    }

    /// Whole sentences packed into chunks of about `chunkTokens` tokens (a longer sentence is a chunk of its own).
    func packChunks(_ sentences: [String]) throws -> [[Int]] {
        var chunks: [[Int]] = []
        var current: [Int] = []
        var size = 0
        for (index, sentence) in sentences.enumerated() {
            let tokens = runtime.tokenizer.encode("[S\(index + 1)] " + sentence + "\n", addBOS: false, parseSpecial: false).count
            if !current.isEmpty && size + tokens > chunkTokens {
                chunks.append(current)
                current = []
                size = 0
            }
            current.append(index)
            size += tokens
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    // MARK: - Points and citations

    /// Lines that look like points ("- …", "* …", "1. …"), with their `[S#]` citations taken out.
    func parsePoints(_ answer: String) -> [SummaryPoint] {
        var points: [SummaryPoint] = []
        for rawLine in answer.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard let first = line.first else { continue }
            if "-*•·".contains(first) {
                line.removeFirst()
            } else if first.isNumber, let dot = line.firstIndex(where: { ".、)）".contains($0) }), line.distance(from: line.startIndex, to: dot) <= 3 {
                line = String(line[line.index(after: dot)...])
            } else {
                continue
            }
            let extracted = CitationMarkers.extract(from: line)
            let text = extracted.text.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "*")))
            guard text.count >= 4 else { continue }
            points.append(SummaryPoint(text: text, citations: extracted.citations))
        }
        return points
    }

    /// The point with the citations that support it: each cited sentence shares enough of the point's wording,
    /// and together they hold the point's numbers and names. When none is left, the allowed sentence that
    /// best supports the point alone is cited if it clearly does. A point whose numbers or names no allowed
    /// sentence supports states something the article does not: it is dropped (nil), as is a garbled point
    /// (`repeatsItself`).
    static func check(_ point: SummaryPoint, sentences: [String], allowed: Set<Int>, summary: inout Summary) -> SummaryPoint? {
        if repeatsItself(point.text) {
            summary.droppedPoints += 1
            return nil
        }
        func sentence(_ number: Int) -> String? {
            allowed.contains(number) && sentences.indices.contains(number - 1) ? sentences[number - 1] : nil
        }
        var checked = point
        checked.citations = point.citations.filter { number in
            sentence(number).map { CitationSupport.overlap(claim: point.text, sentence: $0) >= 0.2 } ?? false
        }
        if !CitationSupport.missingSpecifics(claim: point.text, sentences: checked.citations.compactMap(sentence)).isEmpty {
            checked.citations = []
        }
        summary.droppedCitations += point.citations.count - checked.citations.count
        if checked.citations.isEmpty {
            var best: (number: Int, support: Double) = (0, 0)
            for number in allowed.sorted() {
                guard let text = sentence(number) else { continue }
                let support = CitationSupport.overlap(claim: point.text, sentence: text)
                if support > best.support, CitationSupport.missingSpecifics(claim: point.text, sentences: [text]).isEmpty { best = (number, support) }
            }
            if best.support >= 0.3 {
                checked.citations = [best.number]
            } else if !Specifics(of: point.text).isEmpty {
                summary.droppedPoints += 1
                return nil
            }
        }
        return checked
    }

    /// What a part keeps of its checked points (`copied`: the model copied the part's opening). A model that
    /// copied the part's first sentences in order has not summarized it (a failure of small models): the part's
    /// most central sentences serve instead, each citing itself. Otherwise the model's first `count` points are
    /// kept (small models list far more than asked; ranking the rest by centrality favoured framing sentences
    /// such as article 004's "大家主要關注的還是中美兩國的進展").
    static func select(_ candidates: [SummaryPoint], of chunk: [Int], count: Int, sentences: [String],
                       vocabulary: ArticleVocabulary) -> (points: [SummaryPoint], copied: Bool) {
        if copiesOpening(candidates, of: chunk, sentences: sentences) {
            let central = ExtractiveSummarizer().pick(count, from: chunk, texts: sentences,
                                                      scores: vocabulary.vectors.map(vocabulary.centrality), vectors: vocabulary.vectors)
            return (central.map { SummaryPoint(text: sentences[$0], citations: [$0 + 1]) }, true)
        }
        return (Array(candidates.prefix(count)), false)
    }

    /// Whether a point says one phrase of six or more Chinese characters twice: a garbled point, not a summary
    /// ("在中美兩國的進展中, 大家主要關注的還是中美兩國的進展", written for article 004's "大家主要關注的還是中美兩國的進展").
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

    /// Whether a part's points are its first three sentences, in order, nearly word for word.
    static func copiesOpening(_ points: [SummaryPoint], of chunk: [Int], sentences: [String]) -> Bool {
        guard points.count >= 3, chunk.count >= 6 else { return false }
        return (0..<3).allSatisfy { i in
            let sentence = sentences[chunk[i]]
            return points[i].citations == [chunk[i] + 1] && CitationSupport.overlap(claim: points[i].text, sentence: sentence) >= 0.8
                && CitationSupport.overlap(claim: sentence, sentence: points[i].text) >= 0.8
        }
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
        language.isChinese
            ? "你是一个严谨的新闻摘要助手。只使用文章中的信息，不编造，不评论。"
            : "You are a careful news summarizer. Use only information from the article; do not invent or comment."
    }

    func map(part: Int, of count: Int, text: String, points: Int) -> String {
        let scope = count == 1 ? (language.isChinese ? "这篇文章" : "this article") : (language.isChinese ? "文章第\(part)/\(count)部分" : "part \(part) of \(count) of the article")
        if language.isChinese {
            return """
                下面是\(scope)，每个句子前有编号，例如[S3]。

                \(text)

                请用中文写出\(scope)最重要的\(points)个要点。每个要点单独一行，以“- ”开头，用自己的话写成一句完整的话，包含关键的人物、机构、数字和事件，并在句末注明依据的句子编号，例如[S3]。不要照抄原文开头，不要重复，不要添加文章中没有的内容。
                """
        }
        return """
            Below is \(scope); each sentence starts with its number, e.g. [S3].

            \(text)

            Write the \(points) most important points of \(scope). One point per line, starting with "- ", each a complete sentence in your own words with the key people, organizations, numbers and events, ending with the numbers of the sentences it is based on, e.g. [S3]. Do not copy the opening, do not repeat yourself, add nothing that is not in the text.
            """
    }

    func reduce(points: String, count: Int) -> String {
        if language.isChinese {
            return """
                下面是从一篇文章各部分提取的要点，每个要点后面是它依据的句子编号。

                \(points)

                请把这些要点合并成不超过\(count)个最重要的要点：合并意思相同的要点，去掉次要的细节，保持文章的顺序。每个要点单独一行，以“- ”开头，保留原来的句子编号，例如[S3]。只输出要点。
                """
        }
        return """
            Below are key points taken from the parts of one article, each followed by the numbers of the sentences it is based on.

            \(points)

            Merge them into at most \(count) most important points: combine points that say the same thing, drop minor details, keep the article's order. One point per line, starting with "- ", keeping the sentence numbers, e.g. [S3]. Output only the points.
            """
    }
}
