import ArgumentParser
import Foundation
import Reading
import Transformer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing (ppN) and generation (tgN) speed, as llama.cpp's llama-bench does.")

    @OptionGroup var model: ModelOptions

    @Option(name: .short, help: "Prompt tokens for the pp test (0 skips it).")
    var p = 512

    @Option(name: .short, help: "Generated tokens for the tg test (0 skips it).")
    var n = 128

    @Option(name: .short, help: "Threads (default: the number of physical cores).")
    var threads: Int?

    @Option(name: .short, help: "Repetitions of each test.")
    var repetitions = 3

    @Option(name: .short, help: "Prompt tokens per forward pass (llama-bench's micro-batch is 512).")
    var batchSize = 512

    @Flag(help: "Skip the warm-up run before each test.")
    var noWarmup = false

    @Option(help: "Seed of the random token ids.")
    var seed: UInt64 = 1

    @Option(help: "Sequences decoded together in the tg test (one weight read for all; llama-batched-bench's -npl).")
    var sequences = 1

    @Option(help: "The summary workload instead of ppN and tgN: -n tokens generated greedily after a chat prompt that holds this article (a text file) and asks for its key points; without drafting, then with --lookup or --draft when given.")
    var article: String?

    @OptionGroup var speculation: SpeculationOptions

    @Option(help: "With --article: write the prompt's text to this file, for llama.cpp's llama-lookup and llama-speculative (-f).")
    var savePrompt: String?

    @Flag(help: "Print one JSON array with llama-bench's field names instead of the table.")
    var json = false

    func validate() throws {
        guard p >= 0, n >= 0 else { throw ValidationError("-p and -n must be 0 or more") }
        guard p + n > 0 else { throw ValidationError("nothing to measure: -p and -n are both 0") }
        guard repetitions >= 1 else { throw ValidationError("-r must be at least 1 (got \(repetitions))") }
        guard batchSize >= 1 else { throw ValidationError("-b must be at least 1 (got \(batchSize))") }
        guard (1...64).contains(sequences) else { throw ValidationError("--sequences must be between 1 and 64 (got \(sequences))") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("-t must be between 1 and 256 (got \(threads))") }
        if article == nil, speculation.lookup || speculation.draft != nil {
            throw ValidationError("--lookup and --draft are measured on the summary workload: give --article FILE")
        }
        if article == nil, savePrompt != nil { throw ValidationError("--save-prompt needs --article") }
        if article != nil, n == 0 { throw ValidationError("--article measures generation: -n must be above 0") }
    }

    func run() throws {
        let path = try model.resolvePath()
        let runtime = try ModelRuntime(path: path)
        let description = BenchmarkModelDescription(gguf: runtime.gguf)
        let configuration = Benchmark.Configuration(threads: threads ?? physicalCoreCount, repetitions: repetitions,
                                                    batchSize: batchSize, warmup: !noWarmup, seed: seed, sequences: sequences)
        if let article { return try runWorkload(article: article, runtime: runtime, description: description, configuration: configuration) }
        let tests = [p > 0 ? Benchmark.Test.prompt(p) : nil, n > 0 ? Benchmark.Test.generation(n) : nil].compactMap { $0 }
        let backend = "CPU (\(Benchmark.kernelName))"
        Terminal.printError("llmrun bench: kernels \(Benchmark.kernelName), \(configuration.threads) threads, \(repetitions) repetitions")

        let table = BenchTable(description: description, backend: backend)
        if !json { table.printHeader() }
        var results: [Benchmark.Result] = []
        for test in tests {
            let result = try Benchmark.run(test, runtime: runtime, configuration: configuration) { Terminal.status($0) }
            Terminal.status("")
            if !json { table.printRow(result) }
            results.append(result)
        }
        Terminal.endStatus()
        if json { try printJSON(results.map { BenchRecord(description: description, result: $0) }) }
    }

    private func printJSON(_ records: [BenchRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(records), as: UTF8.self))
    }
}

extension Bench {
    /// The summary workload: plain decoding, then the drafting asked for, on the same prompt and session.
    private func runWorkload(article path: String, runtime: ModelRuntime, description: BenchmarkModelDescription,
                             configuration: Benchmark.Configuration) throws {
        let template = try ChatTemplate.resolve(for: runtime.gguf, override: nil)
        let messages = KeyPointsRequest.messages(article: try TextInput.read(path: path))
        if let savePrompt {
            do { try Data(template.render(messages).utf8).write(to: URL(fileURLWithPath: savePrompt)) } catch {
                throw InputError("--save-prompt \(savePrompt): cannot write the prompt there (\(error.localizedDescription))")
            }
        }
        let workload = Benchmark.Workload(prompt: template.tokens(messages, tokenizer: runtime.tokenizer), tokens: n)
        let contextSize = min(runtime.model.shape.contextLength, workload.prompt.count + n + Session.defaultDraftCapacity + 1)
        let session = try runtime.makeSession(contextSize: contextSize, threads: configuration.threads, batchSize: batchSize)
        let drafting = try speculation.speculation(target: runtime, session: session)
        Terminal.printError("llmrun bench: kernels \(Benchmark.kernelName), \(configuration.threads) threads, \(repetitions) repetitions, "
                            + "prompt of \(workload.prompt.count) tokens from \(path)")
        let table = BenchTable(description: description, backend: "CPU (\(Benchmark.kernelName))")
        if !json { table.printHeader() }
        var records: [BenchRecord] = []
        for mode in drafting == .none ? [drafting] : [.none, drafting] {
            let result = try Benchmark.run(workload, speculation: mode, session: session, tokenizer: runtime.tokenizer,
                                           configuration: configuration) { Terminal.status($0) }
            Terminal.status("")
            if !json { table.printRow(result, threads: configuration.threads) }
            records.append(BenchRecord(description: description, workload: result, threads: configuration.threads, batchSize: batchSize))
        }
        Terminal.endStatus()
        if json { try printJSON(records) }
    }
}

/// llama-bench's markdown table.
private struct BenchTable {
    let description: BenchmarkModelDescription
    let backend: String

    func printHeader() {
        print("| model | size | params | backend | threads | test | t/s |")
        print("| ----- | ---: | -----: | ------- | ------: | ---: | --: |")
    }

    func printRow(_ result: Benchmark.Result) {
        printRow(test: result.testName, threads: result.threads, average: result.averageTokensPerSecond,
                 deviation: result.standardDeviationTokensPerSecond)
    }

    func printRow(_ result: Benchmark.WorkloadResult, threads: Int) {
        printRow(test: result.testName, threads: threads, average: result.averageTokensPerSecond,
                 deviation: result.standardDeviationTokensPerSecond)
    }

    private func printRow(test: String, threads: Int, average: Double, deviation: Double) {
        let gib = Double(description.size) / 1024 / 1024 / 1024
        let size = gib < 1 ? String(format: "%.2f MiB", gib * 1024) : String(format: "%.2f GiB", gib)
        let parameters = description.parameters < 1_000_000_000
            ? String(format: "%.2f M", Double(description.parameters) / 1e6)
            : String(format: "%.2f B", Double(description.parameters) / 1e9)
        print("| \(description.type) | \(size) | \(parameters) | \(backend) | \(threads) | \(test) | \(String(format: "%.2f ± %.2f", average, deviation)) |")
    }
}

/// One test in llama-bench's JSON field names (plus `kernels`, ours).
private struct BenchRecord: Encodable {
    let model_filename: String
    let model_type: String
    let model_size: Int
    let model_n_params: Int
    let backends: String
    let kernels: String
    let n_threads: Int
    let n_batch: Int
    let n_ubatch: Int
    let n_prompt: Int
    let n_gen: Int
    /// Sequences decoded together (llama-batched-bench's npl).
    let n_seq: Int
    let test_time: String
    let avg_ns: UInt64
    let stddev_ns: UInt64
    let avg_ts: Double
    let stddev_ts: Double
    let samples_ns: [UInt64]
    let samples_ts: [Double]
    /// The summary workload (`--article`): how it drafted (`none`, `lookup`, `draft`), the draft tokens proposed
    /// and accepted and the verifying passes of the last repetition (llama-lookup's n_drafted and n_accept).
    var speculation: String?
    var n_drafted: Int?
    var n_accept: Int?
    var n_verify: Int?

    init(description: BenchmarkModelDescription, result: Benchmark.Result) {
        self.init(description: description, threads: result.threads, batchSize: result.batchSize, prompt: result.test.promptTokens,
                  generated: result.test.generatedTokens, sequences: result.sequences, samplesNanoseconds: result.samplesNanoseconds,
                  samplesTokensPerSecond: result.samplesTokensPerSecond)
    }

    init(description: BenchmarkModelDescription, workload result: Benchmark.WorkloadResult, threads: Int, batchSize: Int) {
        self.init(description: description, threads: threads, batchSize: batchSize, prompt: result.promptTokens,
                  generated: result.generatedTokens, sequences: 1,
                  samplesNanoseconds: result.samples.map { UInt64(($0.generationSeconds * 1e9).rounded()) },
                  samplesTokensPerSecond: result.samplesTokensPerSecond)
        speculation = switch result.speculation {
        case .none: "none"
        case .promptLookup: "lookup"
        case .draftModel: "draft"
        }
        n_drafted = result.samples.last?.draftedTokens
        n_accept = result.samples.last?.acceptedDraftTokens
        n_verify = result.samples.last?.verificationSteps
    }

    private init(description: BenchmarkModelDescription, threads: Int, batchSize: Int, prompt: Int, generated: Int, sequences: Int,
                 samplesNanoseconds: [UInt64], samplesTokensPerSecond: [Double]) {
        model_filename = description.filename
        model_type = description.type
        model_size = description.size
        model_n_params = description.parameters
        backends = "CPU"
        kernels = Benchmark.kernelName
        n_threads = threads
        n_batch = batchSize
        n_ubatch = batchSize
        n_prompt = prompt
        n_gen = generated
        n_seq = sequences
        test_time = ISO8601DateFormatter().string(from: Date())
        let nanoseconds = samplesNanoseconds.map(Double.init)
        avg_ns = UInt64(Benchmark.mean(nanoseconds).rounded())
        stddev_ns = UInt64(Benchmark.standardDeviation(nanoseconds).rounded())
        avg_ts = Benchmark.mean(samplesTokensPerSecond)
        stddev_ts = Benchmark.standardDeviation(samplesTokensPerSecond)
        samples_ns = samplesNanoseconds
        samples_ts = samplesTokensPerSecond
    }
}
