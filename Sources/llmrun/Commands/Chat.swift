import ArgumentParser
import Foundation
import Reading
import Transformer

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model; answers stream, the KV cache persists across turns.",
        discussion: "Commands: /help, /reset, /system TEXT, /stats, /sources, /bye. A message of several lines goes between two \"\"\" lines. "
            + "Ctrl-C stops an answer, Ctrl-D quits. With a non-terminal stdin, each line is a message and the answers are printed. "
            + "With -f, each message is answered from the articles as ask answers, the passages retrieved again with the conversation in mind, "
            + "and the cited sentences follow the answer.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(help: "The system prompt.")
    var system: String?

    @Option(name: [.short, .long], help: "An article to answer from, citing its sentences [S#] as ask does (repeat for several).")
    var file: [String] = []

    @Option(name: [.short, .customLong("max-tokens")],
            help: "Most tokens of one answer (default: 1024; with -f, \(QuestionAnswerer.defaultAnswerTokens), a grounded answer being a sentence or two).")
    var n: Int?

    @OptionGroup var speculation: SpeculationOptions

    @Option(help: "Chat template override: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?

    func validate() throws {
        if let n, n < 1 { throw ValidationError("-n must be at least 1") }
        if system != nil && !file.isEmpty { throw ValidationError("--system does not apply with -f: answers from articles use the grounded prompt of ask") }
    }

    func run() throws {
        let articles = try file.map { try Article.load(path: $0) }
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        let template = try ChatTemplate.resolve(for: runtime.gguf, override: template)
        let grounding = articles.isEmpty ? nil
            : QuestionAnswerer(retriever: PassageRetriever(articles: articles), runtime: runtime, session: session, template: template,
                               answerTokens: n ?? QuestionAnswerer.defaultAnswerTokens)
        let engine = ChatEngine(runtime: runtime, session: session, template: template, conversation: ChatConversation(systemPrompt: system),
                                sampling: sampling.parameters, maxAnswerTokens: n ?? 1024, grounding: grounding)
        engine.speculation = try speculation.speculation(target: runtime, session: session)
        grounding?.speculation = engine.speculation
        do { try engine.checkRoom() } catch {
            throw InputError(articles.isEmpty ? "system prompt: \(error)" : "\(error)")
        }
        let interactive = isatty(STDIN_FILENO) == 1
        Interrupt.install()
        if interactive { Terminal.printError("llmrun chat with \(model.model ?? "the default model"): /help for commands, Ctrl-D or /bye to quit") }

        var collector = ChatInputCollector()
        while true {
            if interactive { Terminal.writeStdout(collector.isCollecting ? "... " : ">>> ") }
            guard let line = readLine(strippingNewline: true) else { break }  // Ctrl-D or end of input
            guard let input = collector.add(line) else { continue }
            if let command = ChatCommand.parse(input) {
                let (message, quit) = engine.perform(command)
                if quit { break }
                Terminal.writeStdout(message + "\n")
                continue
            }
            guard !input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            Interrupt.clear()
            do {
                let reply = try engine.respond(input, shouldStop: { Interrupt.requested }, onText: Terminal.writeStdout)
                Terminal.writeStdout("\n")
                if let answer = reply.answer { Terminal.writeStdout(answer.citationLines.map { $0 + "\n" }.joined()) }
                if reply.droppedTurns > 0 {
                    Terminal.printError("(the \(reply.droppedTurns) oldest turn\(reply.droppedTurns == 1 ? " was" : "s were") dropped to fit the context)")
                }
                switch reply.finishReason {
                case .cancelled: Terminal.printError("(stopped; this exchange is not kept)")
                case .repetition: Terminal.printError("(stopped: the answer was repeating itself)")
                case .contextFull: Terminal.printError("(stopped: the context is full)")
                default: break
                }
            } catch let error as ChatError {
                Terminal.printError("error: \(error)")
            }
        }
        if interactive { Terminal.writeStdout("\n") }
    }
}
