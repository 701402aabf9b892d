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

    @Flag(help: "Speculative decoding by prompt lookup: drafts copied from the prompt, verified several per pass; the same output (in distribution with --temp).")
    var lookup = false

    @Option(help: "Speculative decoding with a draft model (catalog name or .gguf) of the same vocabulary, e.g. qwen2.5-0.5b for qwen2.5-1.5b; the same output (in distribution with --temp).")
    var draft: String?

    @Option(name: [.customLong("max-draft"), .customLong("draft-max")], help: "With --lookup or --draft: draft tokens verified at most per pass.")
    var maxDraft = 8

    @Flag(name: .shortAndLong, help: "Also print the draft acceptance rate and the effective generation rate.")
    var verbose = false

    @Flag(help: "Read control-token text in the prompt (<|im_start|>, <start_of_turn>, ...) as those tokens.")
    var special = false

    @Flag(help: "Use the prompt as it is, with no chat template (the only mode until chat templates land).")
    var raw = false

    func validate() throws {
        guard (prompt == nil) != (file == nil) else { throw ValidationError("give exactly one of -p PROMPT or -f FILE") }
        guard n >= 0 else { throw ValidationError("-n must be 0 or more") }
        guard (1...Session.defaultDraftCapacity).contains(maxDraft) else {
            throw ValidationError("--max-draft must be 1...\(Session.defaultDraftCapacity)")
        }
    }

    func run() throws {
        // Here rather than in validate(), which would add the usage to the one line.
        if lookup && draft != nil { throw InputError("--lookup and --draft are two ways of drafting: give one of them") }
        let text = try prompt ?? TextInput.read(path: file ?? "-")
        let runtime = try ModelRuntime(path: try model.resolvePath())
        // Checked before a session (its cache and threads) exists: nothing to evaluate is a plain error.
        let tokens = runtime.tokenize(text, parseSpecial: special)
        guard !tokens.isEmpty else { throw GenerationError.emptyPrompt }
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        guard tokens.count + n <= session.contextSize || tokens.count <= session.contextSize else {
            throw GenerationError.contextExceeded(needed: tokens.count, contextSize: session.contextSize)
        }
        var speculation = lookup ? Speculation.promptLookup(maxDraft: maxDraft) : .none
        if let draft {
            let draftRuntime = try ModelRuntime(path: try resolveModelPath(draft))
            speculation = .draftModel(try DraftModel(runtime: draftRuntime, target: runtime, targetSession: session), maxDraft: maxDraft)
        }
        let generator = TextGenerator(session: session, tokenizer: runtime.tokenizer)
        let options = GenerationOptions(maxTokens: n, sampling: sampling.parameters, stopStrings: stopStrings, speculation: speculation)
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
        if verbose && speculation != .none {
            Terminal.printError(String(format: "%@: %d of %d draft tokens accepted (%.0f%%) in %d verifying passes | effective %.1f t/s",
                                       lookup ? "lookup" : "draft", stats.acceptedDraftTokens, stats.draftedTokens, 100 * stats.draftAcceptanceRate,
                                       stats.verificationSteps, stats.generationTokensPerSecond))
        }
    }
}
