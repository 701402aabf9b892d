import ArgumentParser
import Foundation
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

    @Flag(help: "Print one JSON array with llama-bench's field names instead of the table.")
    var json = false

    func validate() throws {
        guard p >= 0, n >= 0 else { throw ValidationError("-p and -n must be 0 or more") }
        guard p + n > 0 else { throw ValidationError("nothing to measure: -p and -n are both 0") }
        guard repetitions >= 1 else { throw ValidationError("-r must be at least 1 (got \(repetitions))") }
        guard batchSize >= 1 else { throw ValidationError("-b must be at least 1 (got \(batchSize))") }
        guard (1...64).contains(sequences) else { throw ValidationError("--sequences must be between 1 and 64 (got \(sequences))") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("-t must be between 1 and 256 (got \(threads))") }
    }

    func run() throws {
        let path = try model.resolvePath()
        let runtime = try ModelRuntime(path: path)
        let description = BenchmarkModelDescription(gguf: runtime.gguf)
        let configuration = Benchmark.Configuration(threads: threads ?? physicalCoreCount, repetitions: repetitions,
                                                    batchSize: batchSize, warmup: !noWarmup, seed: seed, sequences: sequences)
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
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let records = results.map { BenchRecord(description: description, result: $0) }
            print(String(decoding: try encoder.encode(records), as: UTF8.self))
        }
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
        let gib = Double(description.size) / 1024 / 1024 / 1024
        let size = gib < 1 ? String(format: "%.2f MiB", gib * 1024) : String(format: "%.2f GiB", gib)
        let parameters = description.parameters < 1_000_000_000
            ? String(format: "%.2f M", Double(description.parameters) / 1e6)
            : String(format: "%.2f B", Double(description.parameters) / 1e9)
        let speed = String(format: "%.2f ± %.2f", result.averageTokensPerSecond, result.standardDeviationTokensPerSecond)
        print("| \(description.type) | \(size) | \(parameters) | \(backend) | \(result.threads) | \(result.testName) | \(speed) |")
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

    init(description: BenchmarkModelDescription, result: Benchmark.Result) {
        model_filename = description.filename
        model_type = description.type
        model_size = description.size
        model_n_params = description.parameters
        backends = "CPU"
        kernels = Benchmark.kernelName
        n_threads = result.threads
        n_batch = result.batchSize
        n_ubatch = result.batchSize
        n_prompt = result.test.promptTokens
        n_gen = result.test.generatedTokens
        n_seq = result.sequences
        test_time = ISO8601DateFormatter().string(from: Date())
        avg_ns = UInt64(result.averageNanoseconds.rounded())
        stddev_ns = UInt64(result.standardDeviationNanoseconds.rounded())
        avg_ts = result.averageTokensPerSecond
        stddev_ts = result.standardDeviationTokensPerSecond
        samples_ns = result.samplesNanoseconds
        samples_ts = result.samplesTokensPerSecond
    }
}
