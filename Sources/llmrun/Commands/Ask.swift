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

    @Option(help: "Chat template override: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

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
            if json { try printJSON(answer, question: question, retriever: retriever) } else { print(answer.text) }
            return
        }
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        let answerer = QuestionAnswerer(retriever: retriever, runtime: runtime, session: session, template: try ChatTemplate.resolve(for: runtime.gguf, override: template))
        let answer = try answerer.ask(question, onText: { piece in
            if !json { Terminal.writeStdout(piece) }
            return true
        })
        if json {
            try printJSON(answer, question: question, retriever: retriever)
        } else {
            Terminal.writeStdout("\n\n")
            if let closest = answer.closest, let location = retriever.location(ofSentence: closest) {
                Terminal.writeStdout("closest: [S\(closest)] \(location.file):\(location.line): \(retriever.sentences[closest - 1].text)\n")
            }
            for number in answer.citations {
                guard let location = retriever.location(ofSentence: number) else { continue }
                Terminal.writeStdout("[S\(number)] \(location.file):\(location.line): \(retriever.sentences[number - 1].text)\n")
            }
        }
        Terminal.printError(String(format: "%d sentences shown to the model, %d prompt + %d generated tokens, %.1f s",
                                   answer.shownSentences.count, answer.promptTokens, answer.generatedTokens, answer.seconds))
    }

    private func printJSON(_ answer: Answer, question: String, retriever: PassageRetriever) throws {
        struct Citation: Encodable {
            let id: String
            let file: String
            let line: Int
            let sentence: String
        }
        /// The citations of one file, in the order the files were given.
        struct FileCitations: Encodable {
            let file: String
            let citations: [Citation]
        }
        struct Output: Encodable {
            let question: String
            let answer: String
            let answered: Bool
            let language: String
            let citations: [Citation]
            let files: [FileCitations]
            let closest: Citation?
            let translated_question: String?
            let shown_sentences: [Int]
            let prompt_tokens: Int
            let generated_tokens: Int
            let seconds: Double
        }
        func citation(_ number: Int) -> Citation? {
            retriever.location(ofSentence: number).map { Citation(id: "S\(number)", file: $0.file, line: $0.line, sentence: retriever.sentences[number - 1].text) }
        }
        let citations = answer.citations.compactMap(citation)
        let files = retriever.articles.map(\.cleaned.sourceName).map { file in
            FileCitations(file: file, citations: citations.filter { $0.file == file })
        }.filter { !$0.citations.isEmpty }
        let output = Output(question: question, answer: answer.text, answered: answer.answered, language: answer.language.rawValue,
                            citations: citations, files: files, closest: answer.closest.flatMap(citation),
                            translated_question: answer.translatedQuestion, shown_sentences: answer.shownSentences, prompt_tokens: answer.promptTokens,
                            generated_tokens: answer.generatedTokens, seconds: answer.seconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(output), as: UTF8.self))
    }
}
