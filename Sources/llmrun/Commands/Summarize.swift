import ArgumentParser
import Foundation
import Reading
import Transformer

struct Summarize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize an article faithfully, with [S#] citations to its sentences, in its own language and script.")

    @Argument(help: "The article (a text file, or - for stdin).")
    var file: String

    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "short, medium or long.")
    var length: String = "medium"

    @Option(help: "auto, zh, zh-Hant, zh-Hans or en: the language of the summary.")
    var lang: String = "auto"

    @Option(help: "Chat template override: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?

    @Flag(help: "Pick the article's key sentences instead of generating (no model; --lang only changes the Chinese script).")
    var extractive = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show the context budget of each step.")
    var verbose = false

    @Flag(help: "Report on stderr what the cleaner removed from the article, by class.")
    var showCleaning = false

    func validate() throws {
        guard SummaryLength(rawValue: length) != nil else { throw ValidationError("--length must be short, medium or long") }
        guard ["auto", "zh", "zh-Hans", "zh-Hant", "en"].contains(lang) else { throw ValidationError("--lang must be auto, zh, zh-Hans, zh-Hant or en") }
    }

    func run() throws {
        let article = try Article.load(path: file)
        if showCleaning { Terminal.printError(Self.describe(article.cleaned.report)) }
        if extractive {
            try summarizeExtractively(article)
            return
        }
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let template = try ChatTemplate.resolve(for: runtime.gguf, override: template)
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        let language: TextLanguage = switch lang {
        case "zh", "zh-Hans": lang == "zh" && article.language == .traditionalChinese ? .traditionalChinese : .simplifiedChinese
        case "zh-Hant": .traditionalChinese
        case "en": .english
        default: article.language
        }
        let summarizer = Summarizer(runtime: runtime, session: session, template: template)
        var steps = 0
        let summary = try summarizer.summarize(sentences: article.sentenceTexts, length: SummaryLength(rawValue: length) ?? .medium, language: language,
            onEvent: { event in
                switch event {
                case .mapStarted(let index, let count, let tokens):
                    Terminal.status("reading part \(index)/\(count) (\(tokens) prompt tokens)")
                    if verbose { Terminal.printError("part \(index)/\(count): \(tokens)/\(session.contextSize) tokens of context") }
                case .reduceStarted(let inputs, let tokens):
                    Terminal.status("merging \(inputs) points (\(tokens) prompt tokens)")
                    if verbose { Terminal.printError("merge of \(inputs) points: \(tokens)/\(session.contextSize) tokens of context") }
                case .stepFinished(let stats):
                    steps += 1
                    if verbose {
                        Terminal.printError(String(format: "  step %d: %d prompt tokens at %.0f t/s, %d generated at %.1f t/s (%@)", steps,
                                                   stats.evaluatedPromptTokens, stats.promptTokensPerSecond, stats.generatedTokens,
                                                   stats.generationTokensPerSecond, stats.finishReason.rawValue))
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
        Terminal.printError(String(format: "%d sentences, %d parts, %d prompt + %d generated tokens, %.1f s%@%@%@%@", article.sentences.count,
                                   summary.chunks, summary.promptTokens, summary.generatedTokens, summary.seconds,
                                   summary.droppedCitations > 0 ? ", \(summary.droppedCitations) unsupported citations dropped" : "",
                                   summary.droppedPoints > 0 ? ", \(summary.droppedPoints) unsupported points dropped" : "",
                                   summary.loopsStopped > 0 ? ", \(summary.loopsStopped) repetition loops stopped" : "",
                                   summary.extractiveParts > 0 ? ", \(summary.extractiveParts) parts copied by the model (their central sentences used)" : ""))
    }

    private func summarizeExtractively(_ article: Article) throws {
        var summary = ExtractiveSummarizer().summarize(article, length: SummaryLength(rawValue: length) ?? .medium)
        if lang == "zh-Hant" || lang == "zh-Hans" {
            let script: TextLanguage = lang == "zh-Hant" ? .traditionalChinese : .simplifiedChinese
            summary.points = summary.points.map { SummaryPoint(text: script.enforceScript($0.text), citations: $0.citations) }
            summary.language = script
        }
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

    private func printJSON(_ summary: Summary, article: Article) throws {
        struct Citation: Encodable {
            let id: String
            let sentence: String
            let line: Int?
        }
        struct Output: Encodable {
            let summary: String
            let points: [SummaryPoint]
            let language: String
            let chunks: Int
            let citations: [Citation]
            let prompt_tokens: Int
            let generated_tokens: Int
            let seconds: Double
            let context_size: Int
            let largest_prompt_tokens: Int
        }
        let cited = Set(summary.points.flatMap(\.citations)).sorted()
        let output = Output(summary: summary.text, points: summary.points, language: summary.language.rawValue, chunks: summary.chunks,
                            citations: cited.map { Citation(id: "S\($0)", sentence: article.sentenceTexts[$0 - 1], line: article.line(ofSentence: $0)) },
                            prompt_tokens: summary.promptTokens, generated_tokens: summary.generatedTokens, seconds: summary.seconds,
                            context_size: summary.contextSize, largest_prompt_tokens: summary.largestPromptTokens)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(output), as: UTF8.self))
    }
}
