import ArgumentParser
import Foundation
import Transformer

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Continue a prompt; the text streams to stdout, statistics to stderr.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .short, help: "The prompt.")
    var prompt: String?

    @Option(name: .short, help: "Read the prompt from a file (- for stdin).")
    var file: String?

    @Option(name: .short, help: "Tokens to generate.")
    var n = 128

    @Option(name: .customLong("stop"), help: "Stop when this text appears (repeatable).")
    var stopStrings: [String] = []

    @OptionGroup var speculation: SpeculationOptions

    @Flag(name: .shortAndLong, help: "With --lookup or --draft: also print the draft acceptance rate and the effective generation rate.")
    var verbose = false

    @Flag(help: "Read control-token text in the prompt (<|im_start|>, <start_of_turn>, ...) as those tokens.")
    var special = false

    @Flag(help: "Use the prompt as it is, with no chat template (the only mode until chat templates land).")
    var raw = false

    func validate() throws {
        guard (prompt == nil) != (file == nil) else { throw ValidationError("give exactly one of -p PROMPT or -f FILE") }
        guard n >= 0 else { throw ValidationError("-n must be 0 or more") }
    }

    func run() throws {
        let text = try prompt ?? TextInput.read(path: file ?? "-")
        let runtime = try ModelRuntime(path: try model.resolvePath())
        // Checked before a session (its cache and threads) exists: nothing to evaluate is a plain error.
        let tokens = runtime.tokenize(text, parseSpecial: special)
        guard !tokens.isEmpty else { throw GenerationError.emptyPrompt }
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        guard tokens.count + n <= session.contextSize || tokens.count <= session.contextSize else {
            throw GenerationError.contextExceeded(needed: tokens.count, contextSize: session.contextSize)
        }
        let drafting = try speculation.speculation(target: runtime, session: session)
        let generator = TextGenerator(session: session, tokenizer: runtime.tokenizer)
        let options = GenerationOptions(maxTokens: n, sampling: sampling.parameters, stopStrings: stopStrings, speculation: drafting)
        let (_, stats) = try generator.generate(prompt: tokens, options: options, onPromptProgress: { done, total in
            Terminal.status("prompt \(done)/\(total) tokens")
            return true
        }, onText: { piece in
            Terminal.writeStdout(piece)
            return true
        })
        Terminal.status("")
        Terminal.writeStdout("\n")
        Terminal.printError(String(format: "prompt: %d tokens, %.1f t/s | generated: %d tokens, %.1f t/s | finish: %@",
                                   stats.promptTokens, stats.promptTokensPerSecond, stats.generatedTokens,
                                   stats.generationTokensPerSecond, stats.finishReason.rawValue))
        if verbose, let acceptance = speculation.acceptance(stats) { Terminal.printError(acceptance) }
    }
}
