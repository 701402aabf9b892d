import ArgumentParser
import Foundation
import Reading
import Transformer

struct Summarize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize an article faithfully, with [S#] citations to its sentences, in its own language and script.")

    @Argument(help: "The article (a text file, or - for stdin); with --out, any number of files and directories.")
    var files: [String] = []

    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "short, medium or long: how many points, relative to the article's size (medium: 3 for a note, up to 12 for a long report).")
    var length: SummaryLength = .medium

    @Option(help: "auto, zh, zh-Hant, zh-Hans or en: the language of the summary.")
    var lang: SummaryLanguageChoice = .auto

    @Option(help: "Chat template override: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?

    @Flag(help: "Pick the article's key sentences instead of generating (no model; --lang only changes the Chinese script).")
    var extractive = false

    @Option(help: "Key sentences each point condenses (with --extractive: quotes).")
    var sentencesPerPoint: Int?

    @Option(help: "Points written at once: their tokens share each read of the weights (default \(Summarizer.defaultParallelPoints); 1 writes one at a time).")
    var parallelPoints = Summarizer.defaultParallelPoints

    @OptionGroup var speculation: SpeculationOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show each step: its context budget, speed and what the model wrote.")
    var verbose = false

    @Flag(help: "Report on stderr what the cleaner removed from the article, by class.")
    var showCleaning = false

    @Option(help: "Summarize every FILE and every file in each directory, appending one JSON line per article to this file; a rerun skips the articles already in it (same path and content).")
    var out: String?

    @Option(name: .customLong("server"), parsing: .upToNextOption,
            help: "With --out: send the articles to these llmrun serve replicas (http://HOST:PORT) instead of running the model here.")
    var servers: [String] = []

    @Option(help: "With --server: articles summarized at once, spread over the servers.")
    var jobs = 1

    func validate() throws {
        guard servers.isEmpty || out != nil else { throw ValidationError("--server needs --out FILE") }
        guard sentencesPerPoint.map({ (1...6).contains($0) }) ?? true else { throw ValidationError("--sentences-per-point must be between 1 and 6") }
        guard (1...16).contains(parallelPoints) else { throw ValidationError("--parallel-points must be between 1 and 16") }
        guard speculation.draft == nil else {
            throw ValidationError("summarize writes several points at once, and there drafts by --lookup only, not by a draft model")
        }
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 256") }
        guard out != nil || files.count == 1 else {
            throw ValidationError(files.isEmpty ? "Missing the article: a file, or - for stdin" : "Several articles need --out FILE (one JSON line each)")
        }
        guard out == nil || !files.contains("-") else { throw ValidationError("--out reads files and directories, not stdin (-)") }
        guard out == nil || !files.isEmpty else { throw ValidationError("--out needs files or directories to summarize") }
    }

    func run() throws {
        if let out {
            try runBatch(out: out)
            return
        }
        let file = files[0]
        let article = try Article.load(path: file)
        if showCleaning { Terminal.printError(Self.describe(article.cleaned.report)) }
        if extractive {
            try summarizeExtractively(article)
            return
        }
        let summarizer = try makeSummarizer()
        let language = lang.language(for: article)
        var steps = 0
        let start = Date()
        let summary = try summarizer.summarize(sentences: article.sentenceTexts, length: length, language: language,
            onEvent: { event in
                switch event {
                case .pointStarted(let index, let count, let tokens, let sentences):
                    // The time left, from the points done so far (each condenses about as much text).
                    let elapsed = Date().timeIntervalSince(start)
                    let eta = index > 1 ? String(format: ", about %.0f s left", elapsed / Double(index - 1) * Double(count - index + 1)) : ""
                    Terminal.status("writing point \(index)/\(count)\(eta)")
                    if verbose {
                        Terminal.printError("point \(index)/\(count): \(tokens)/\(summarizer.contextSize) tokens of context, condensing")
                        for number in sentences { Terminal.printError("  [S\(number)] " + article.sentenceTexts[number - 1]) }
                    }
                case .stepFinished(let point, let stats, let text):
                    steps += 1
                    if verbose {
                        Terminal.printError(String(format: "  step %d (point %d): %d prompt tokens at %.0f t/s, %d generated at %.1f t/s (%@)", steps, point,
                                                   stats.evaluatedPromptTokens, stats.promptTokensPerSecond, stats.generatedTokens,
                                                   stats.generationTokensPerSecond, stats.finishReason.rawValue))
                        if let acceptance = speculation.acceptance(stats) { Terminal.printError("  " + acceptance) }
                        Terminal.printError("  the model wrote: " + text.replacingOccurrences(of: "\n", with: "\n  | "))
                    }
                }
            },
            onPoint: { point in
                guard !json else { return }
                Terminal.status("")
                Terminal.writeStdout(point.line + "\n")
            })
        Terminal.status("")
        if json {
            try printJSON(summary, article: article)
        }
        Terminal.printError(String(format: "%d sentences, %d points planned, %d prompt + %d generated tokens, %.1f s (first point %.1f s)%@%@", article.sentences.count,
                                   summary.plannedPoints, summary.promptTokens, summary.generatedTokens, summary.seconds, summary.firstPointSeconds ?? 0,
                                   summary.droppedSentences > 0 ? ", \(summary.droppedSentences) unsupported sentences left out" : "",
                                   summary.loopsStopped > 0 ? ", \(summary.loopsStopped) repetition loops stopped" : ""))
        if verbose {
            Terminal.printError(String(format: "%d sentences written copied a source sentence, %d of them reworded",
                                       summary.copiedSentences, summary.rewordedSentences))
        }
    }

    func extractiveSummary(_ article: Article) -> Summary {
        var summary = ExtractiveSummarizer(sentencesPerPoint: sentencesPerPoint ?? 1).summarize(article, length: length)
        if lang == .traditional || lang == .simplified {
            let script: TextLanguage = lang == .traditional ? .traditionalChinese : .simplifiedChinese
            summary.points = summary.points.map { SummaryPoint(text: script.enforceScript($0.text), citations: $0.citations) }
            summary.language = script
        }
        return summary
    }

    private func summarizeExtractively(_ article: Article) throws {
        let summary = extractiveSummary(article)
        if json {
            try printJSON(summary, article: article)
        } else {
            Terminal.writeStdout(summary.text + "\n")
        }
        Terminal.printError(String(format: "%d sentences, %d picked without a model, %.2f s", article.sentences.count, summary.points.count, summary.seconds))
    }

    static func describe(_ report: CleaningReport) -> String {
        var lines = ["removed from the article:"]
        for category in CleaningCategory.allCases {
            let tally = report.tally(category)
            guard tally.spans > 0 else { continue }
            let examples = (report.examples[category] ?? []).prefix(3).map { $0.debugDescription }.joined(separator: ", ")
            lines.append("  \(category.rawValue): \(tally.spans) spans, \(tally.characters) characters" + (examples.isEmpty ? "" : " (e.g. \(examples))"))
        }
        if lines.count == 1 { lines.append("  nothing") }
        return lines.joined(separator: "\n")
    }

    /// `--lang`: the summary's language and script.
    enum SummaryLanguageChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, chinese = "zh", simplified = "zh-Hans", traditional = "zh-Hant", english = "en"

        /// `zh` keeps a Chinese article's script; `auto` follows the article.
        func language(for article: Article) -> TextLanguage {
            switch self {
            case .auto: article.language
            case .chinese: article.language == .traditionalChinese ? .traditionalChinese : .simplifiedChinese
            case .simplified: .simplifiedChinese
            case .traditional: .traditionalChinese
            case .english: .english
            }
        }
    }

    private func printJSON(_ summary: Summary, article: Article) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(SummaryBody(summary, article: article)), as: UTF8.self))
    }
}

extension SummaryLength: ExpressibleByArgument {}
