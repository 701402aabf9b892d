import ArgumentParser
import Foundation
import Transformer

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "perplexity",
                                                    abstract: "Perplexity of a text, computed as llama.cpp's llama-perplexity does.")

    @OptionGroup var model: ModelOptions

    @Option(name: .short, help: "The text file (- for stdin).")
    var file: String

    @Option(name: .short, help: "Chunk (context) size in tokens.")
    var contextSize = 512

    @Option(help: "Evaluate at most this many chunks.")
    var chunks: Int?

    @Option(name: .short, help: "Tokens per forward pass.")
    var batchSize = 128

    @Option(name: .short, help: "Threads (default: the number of physical cores).")
    var threads: Int?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard contextSize >= 8 else { throw ValidationError("-c must be at least 8") }
        guard batchSize >= 1 else { throw ValidationError("-b must be at least 1") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1") }
    }

    func run() throws {
        let text = try TextInput.read(path: file)
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let batch = min(batchSize, contextSize)
        let session = try runtime.makeSession(contextSize: contextSize, threads: threads ?? physicalCoreCount, batchSize: batch, logitRows: batch)
        let tokens = runtime.tokenize(text)
        let bos = runtime.tokenizer.addsBOS ? runtime.tokenizer.bosID : nil
        let start = Date()
        let result = try Perplexity.compute(tokens: tokens, session: session, contextSize: contextSize, bos: bos, maxChunks: chunks) { progress in
            if !json { Terminal.writeStdout(String(format: "[%d]%.4f,", progress.chunk, progress.perplexity)) }
        }
        let seconds = Date().timeIntervalSince(start)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("")
            print(String(format: "Final estimate: PPL = %.4f +/- %.5f", result.perplexity, result.uncertainty))
        }
        Terminal.printError(String(format: "%d chunks of %d tokens, %d scored, %.1f s", result.chunks, contextSize, result.scoredTokens, seconds))
    }
}
