import ArgumentParser
import Foundation
import Reading
import Transformer

struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question from one or more articles, citing the sentences [S#] with their file and line.",
        discussion: "The passages are found by BM25 over words and Chinese character bigrams, ranked across all files; the model "
            + "sees only the best of them and either answers or says that they do not answer, naming the closest sentence.")

    @Argument(help: "The article file(s) (- for stdin), then the question.")
    var arguments: [String] = []

    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions

    @OptionGroup var speculation: SpeculationOptions

    @Option(help: "Chat template override: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show on stderr the sentences shown to the model and what the model wrote, before cleaning.")
    var verbose = false

    func validate() throws {
        guard arguments.count >= 2 else { throw ValidationError("give one or more article files, then the question") }
        guard let question = arguments.last, !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the question is empty")
        }
    }

    func run() throws {
        let question = arguments[arguments.count - 1]
        let articles = try arguments.dropLast().map { try Article.load(path: $0) }
        let retriever = PassageRetriever(articles: articles)
        guard !SearchTerms.queryTerms(of: question).isEmpty else {
            let answer = QuestionAnswerer.notAnswered(question)
            if json { try printJSON(AnswerReport(answer, question: question, retriever: retriever)) } else { print(answer.text) }
            return
        }
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        let answerer = QuestionAnswerer(retriever: retriever, runtime: runtime, session: session, template: try ChatTemplate.resolve(for: runtime.gguf, override: template))
        answerer.speculation = try speculation.speculation(target: runtime, session: session)
        let answer = try answerer.ask(question, onText: { piece in
            if !json { Terminal.writeStdout(piece) }
            return true
        })
        if verbose {
            Terminal.printError(diagnosis(of: answer, retriever: retriever))
            if let acceptance = answer.generation.flatMap(speculation.acceptance) { Terminal.printError(acceptance) }
        }
        let report = AnswerReport(answer, question: question, retriever: retriever)
        if json {
            try printJSON(report)
        } else {
            Terminal.writeStdout("\n\n" + report.citationLines.map { $0 + "\n" }.joined())
        }
        Terminal.printError(String(format: "%d sentences shown to the model, %d prompt + %d generated tokens, %.1f s",
                                   answer.shownSentences.count, answer.promptTokens, answer.generatedTokens, answer.seconds))
    }

    /// What the model was given and what it wrote, for `-v`.
    private func diagnosis(of answer: Answer, retriever: PassageRetriever) -> String {
        var lines = ["", "--- shown to the model:"]
        if let translated = answer.translatedQuestion { lines.append("question as translated by the model: \(translated)") }
        for number in answer.shownSentences {
            let place = retriever.location(ofSentence: number).map { " \($0.file):\($0.line):" } ?? ""
            lines.append("[S\(number)]\(place) \(retriever.sentences[number - 1].text)")
        }
        lines.append("--- the model wrote:")
        lines.append(answer.rawText)
        if let refusal = answer.firstRefusal {
            lines.append("--- its first reply, before being told that the answer is in the excerpts:")
            lines.append(refusal)
        }
        if let margin = answer.checkMargin { lines.append(String(format: "--- check: \"yes\" over \"no\" by %.2f logits", margin)) }
        if let rejected = answer.checkRejected {
            lines.append("--- not confirmed by the model's check against the cited passages:")
            lines.append(rejected)
        }
        if let translation = answer.rawTranslation {
            lines.append("--- its translation:")
            lines.append(translation)
        }
        return lines.joined(separator: "\n")
    }

    private func printJSON(_ report: AnswerReport) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
