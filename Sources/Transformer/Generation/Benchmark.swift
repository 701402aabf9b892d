import Foundation
import Tensor

/// Throughput measured the way llama.cpp's `llama-bench` measures it (tools/llama-bench/llama-bench.cpp):
///
/// - `ppN` (prompt processing): N token ids evaluated from an empty cache in one `evaluate` call; the
///   first is BOS when the model adds one, the rest uniformly random ids. Only the last position's logits
///   are computed, as llama-bench's `llama_batch_get_one` asks.
/// - `tgN` (text generation): from an empty cache, N single-token decode steps (`append`), each producing
///   logits; the first token is BOS when the model adds one, then random ids.
///
/// - `tgN` with `sequences` S > 1 (llama.cpp's `llama-batched-bench -npl S`): S sessions decoded together, N
///   steps of one `BatchDecoder` call each; tokens per second counts the S·N tokens.
///
/// Each test gets its own session whose context holds exactly the test's tokens (llama-bench's
/// `n_ctx = n_prompt + n_gen`). Before the timed repetitions one warm-up runs (the whole prompt for pp, one
/// decode step for tg); every repetition starts from an empty cache and times the whole test. Tokens per
/// second is computed per repetition; the average and the sample standard deviation are over repetitions.
public enum Benchmark {
    public struct Test: Sendable, Equatable {
        public let promptTokens: Int
        public let generatedTokens: Int

        public static func prompt(_ n: Int) -> Test { Test(promptTokens: n, generatedTokens: 0) }
        public static func generation(_ n: Int) -> Test { Test(promptTokens: 0, generatedTokens: n) }

        /// llama-bench's name: `pp512`, `tg128` (or `pp512+tg128` for a combined test).
        public var name: String {
            switch (promptTokens, generatedTokens) {
            case (let p, 0): "pp\(p)"
            case (0, let n): "tg\(n)"
            case (let p, let n): "pp\(p)+tg\(n)"
            }
        }
        public var tokenCount: Int { promptTokens + generatedTokens }
    }

    public struct Configuration: Sendable {
        public var threads: Int
        public var repetitions: Int
        /// Tokens per forward call during prompt evaluation (llama-bench's default micro-batch is 512).
        public var batchSize: Int
        public var warmup: Bool
        public var seed: UInt64
        /// Sequences decoded together in generation tests.
        public var sequences: Int

        public init(threads: Int, repetitions: Int = 5, batchSize: Int = 512, warmup: Bool = true, seed: UInt64 = 1, sequences: Int = 1) {
            self.threads = threads
            self.sequences = max(1, sequences)
            self.repetitions = repetitions
            self.batchSize = batchSize
            self.warmup = warmup
            self.seed = seed
        }
    }

    public struct Result: Sendable {
        public let test: Test
        public let threads: Int
        public let batchSize: Int
        /// Sequences decoded together (generation tests).
        public let sequences: Int
        /// Wall time of each timed repetition, in nanoseconds.
        public let samplesNanoseconds: [UInt64]

        public var samplesTokensPerSecond: [Double] {
            samplesNanoseconds.map { 1e9 * Double(test.promptTokens + sequences * test.generatedTokens) / Double(max($0, 1)) }
        }
        /// The test's name, with `×S` when S sequences were decoded together.
        public var testName: String { sequences > 1 ? "\(test.name)×\(sequences)" : test.name }
        public var averageTokensPerSecond: Double { Benchmark.mean(samplesTokensPerSecond) }
        public var standardDeviationTokensPerSecond: Double { Benchmark.standardDeviation(samplesTokensPerSecond) }
        public var averageNanoseconds: Double { Benchmark.mean(samplesNanoseconds.map { Double($0) }) }
        public var standardDeviationNanoseconds: Double { Benchmark.standardDeviation(samplesNanoseconds.map { Double($0) }) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case emptyTest
        case badRepetitions(Int)
        case contextTooSmall(needed: Int, trained: Int)

        public var description: String {
            switch self {
            case .emptyTest: "a benchmark test needs at least one prompt or generated token"
            case .badRepetitions(let r): "repetitions must be at least 1 (got \(r))"
            case .contextTooSmall(let needed, let trained):
                "the test needs \(needed) positions but the model's trained context is \(trained)"
            }
        }
    }

    /// Runs one test; `progress(message)` is told about each warm-up and repetition before it starts.
    public static func run(_ test: Test, runtime: ModelRuntime, configuration: Configuration,
                           progress: (String) -> Void = { _ in }) throws -> Result {
        guard test.tokenCount > 0 else { throw Failure.emptyTest }
        guard configuration.repetitions >= 1 else { throw Failure.badRepetitions(configuration.repetitions) }
        let trained = runtime.model.shape.contextLength
        guard test.tokenCount <= trained else { throw Failure.contextTooSmall(needed: test.tokenCount, trained: trained) }
        let batch = max(1, min(configuration.batchSize, max(test.promptTokens, 1)))
        var random = TokenSource(runtime: runtime, seed: configuration.seed)
        if configuration.sequences > 1 && test.generatedTokens > 0 {
            return try runSequences(test, runtime: runtime, configuration: configuration, batchSize: batch, random: &random, progress: progress)
        }
        let session = try runtime.makeSession(contextSize: test.tokenCount, threads: configuration.threads, batchSize: batch)

        if configuration.warmup {
            if test.promptTokens > 0 {
                progress("\(test.name): warm-up prompt run")
                session.reset()
                try session.evaluate(random.prompt(test.promptTokens))
            }
            if test.generatedTokens > 0 {
                progress("\(test.name): warm-up generation run")
                try generate(1, session: session, random: &random)
            }
        }
        var samples: [UInt64] = []
        for repetition in 1...configuration.repetitions {
            progress("\(test.name): run \(repetition)/\(configuration.repetitions)")
            session.reset()
            // The prompt's ids are drawn before the clock starts; llama-bench draws them inside, which costs
            // microseconds against the hundreds of milliseconds measured.
            let prompt = test.promptTokens > 0 ? random.prompt(test.promptTokens) : []
            let start = DispatchTime.now().uptimeNanoseconds
            if !prompt.isEmpty { try session.evaluate(prompt) }
            if test.generatedTokens > 0 { try generate(test.generatedTokens, session: session, random: &random) }
            samples.append(DispatchTime.now().uptimeNanoseconds - start)
        }
        return Result(test: test, threads: configuration.threads, batchSize: batch, sequences: 1, samplesNanoseconds: samples)
    }

    /// A generation test over `configuration.sequences` sessions decoded together.
    private static func runSequences(_ test: Test, runtime: ModelRuntime, configuration: Configuration, batchSize: Int,
                                     random: inout TokenSource, progress: (String) -> Void) throws -> Result {
        let pool = ThreadPool(threadCount: configuration.threads)
        let sessions = try (0..<configuration.sequences).map { _ in
            try Session(model: runtime.model, contextSize: test.tokenCount, threads: configuration.threads, batchSize: batchSize, pool: pool)
        }
        let decoder = try BatchDecoder(model: runtime.model, capacity: sessions.count, pool: pool)
        func decode(_ steps: Int, random: inout TokenSource) throws {
            for _ in 0..<steps {
                try decoder.append(sessions.map { $0.tokens.isEmpty ? random.first() : random.next() }, to: sessions)
            }
        }
        if configuration.warmup {
            progress("\(test.name) ×\(sessions.count): warm-up generation run")
            try decode(1, random: &random)
        }
        var samples: [UInt64] = []
        for repetition in 1...configuration.repetitions {
            progress("\(test.name) ×\(sessions.count): run \(repetition)/\(configuration.repetitions)")
            sessions.forEach { $0.reset() }
            let start = DispatchTime.now().uptimeNanoseconds
            if test.promptTokens > 0 {
                for session in sessions { try session.evaluate(random.prompt(test.promptTokens)) }
            }
            try decode(test.generatedTokens, random: &random)
            samples.append(DispatchTime.now().uptimeNanoseconds - start)
        }
        return Result(test: test, threads: configuration.threads, batchSize: batchSize, sequences: sessions.count, samplesNanoseconds: samples)
    }

    /// Generation after a real prompt (`llmrun bench --article`: an article and a request for its key points),
    /// where drafting has something to copy from: per repetition, greedy generation of up to `tokens` tokens,
    /// timed from the first decode step to the last (the prompt is evaluated before; after the first
    /// repetition it comes from the cache), as llama.cpp's `llama-lookup` and `llama-speculative` time theirs.
    public struct Workload: Sendable {
        public let prompt: [Int32]
        public let tokens: Int

        public init(prompt: [Int32], tokens: Int) {
            self.prompt = prompt
            self.tokens = tokens
        }
    }

    public struct WorkloadResult: Sendable {
        public let speculation: Speculation
        public let promptTokens: Int
        /// Generation statistics of each timed repetition (the same tokens every time: greedy).
        public let samples: [GenerationStats]

        public var generatedTokens: Int { samples.first?.generatedTokens ?? 0 }
        public var samplesTokensPerSecond: [Double] { samples.map(\.generationTokensPerSecond) }
        public var averageTokensPerSecond: Double { Benchmark.mean(samplesTokensPerSecond) }
        public var standardDeviationTokensPerSecond: Double { Benchmark.standardDeviation(samplesTokensPerSecond) }
        /// `tg128 @ 2270` (plain), `tg128 @ 2270 lookup 31 %` (drafted, with the share of draft tokens accepted).
        public var testName: String {
            let base = "tg\(generatedTokens) @ \(promptTokens)"
            guard let stats = samples.first else { return base }
            switch speculation {
            case .none: return base
            case .promptLookup: return base + String(format: " lookup %.0f %%", 100 * stats.draftAcceptanceRate)
            case .draftModel: return base + String(format: " draft %.0f %%", 100 * stats.draftAcceptanceRate)
            }
        }
    }

    /// Runs `workload` on `session` (whose context must hold the prompt and the tokens) with `speculation`.
    public static func run(_ workload: Workload, speculation: Speculation, session: Session, tokenizer: any Tokenizer,
                           configuration: Configuration, progress: (String) -> Void = { _ in }) throws -> WorkloadResult {
        guard configuration.repetitions >= 1 else { throw Failure.badRepetitions(configuration.repetitions) }
        let generator = TextGenerator(session: session, tokenizer: tokenizer)
        let options = GenerationOptions(maxTokens: workload.tokens, sampling: .greedy, speculation: speculation)
        var samples: [GenerationStats] = []
        for repetition in (configuration.warmup ? 0 : 1)...configuration.repetitions {
            progress(repetition == 0 ? "warm-up generation run" : "run \(repetition)/\(configuration.repetitions)")
            let (_, stats) = try generator.generate(prompt: workload.prompt, options: options)
            if repetition > 0 { samples.append(stats) }
        }
        return WorkloadResult(speculation: speculation, promptTokens: workload.prompt.count, samples: samples)
    }

    /// `count` decode steps continuing the cache: BOS (when the model adds one) at an empty cache, else random.
    private static func generate(_ count: Int, session: Session, random: inout TokenSource) throws {
        var token = session.tokens.isEmpty ? random.first() : random.next()
        for _ in 0..<count {
            try session.append(token)
            token = random.next()
        }
    }

    /// The kernel level the quantized products use (`avx512-vnni`, `avx2` or `scalar`).
    public static var kernelName: String { kernelISAName() }

    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The sample standard deviation (n − 1), 0 for fewer than two values, as llama-bench reports it.
    public static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let m = mean(values)
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (squares / Double(values.count - 1)).squareRoot()
    }
}

/// Seeded random token ids in the tokenizer's range, BOS first when the model adds one.
private struct TokenSource {
    var generator: SeededGenerator
    let vocabularySize: UInt64
    let bos: Int32?

    init(runtime: ModelRuntime, seed: UInt64) {
        generator = SeededGenerator(seed: seed)
        vocabularySize = UInt64(max(1, min(runtime.tokenizer.vocabularySize, runtime.model.shape.vocabularySize)))
        bos = runtime.tokenizer.addsBOS ? runtime.tokenizer.bosID : nil
    }

    mutating func next() -> Int32 { Int32(truncatingIfNeeded: generator.next() % vocabularySize) }
    mutating func first() -> Int32 { bos ?? next() }
    mutating func prompt(_ count: Int) -> [Int32] {
        var tokens = [first()]
        tokens.reserveCapacity(count)
        while tokens.count < count { tokens.append(next()) }
        return tokens
    }
}

/// What llama-bench prints about a model: its file, a type description, the tensors' bytes and elements.
public struct BenchmarkModelDescription: Sendable {
    public let filename: String
    /// `architecture size-label file-type`, e.g. `qwen2 1.5B Q4_K - Medium` (llama.cpp derives the size
    /// from the layer count instead, so its label can differ, e.g. `qwen2 1B` for the 0.5B model).
    public let type: String
    /// Bytes of all tensors (llama.cpp's `llama_model_size`).
    public let size: Int
    /// Elements of all tensors (llama.cpp's `llama_model_n_params`).
    public let parameters: Int

    public init(gguf: GGUFFile) {
        filename = gguf.path
        size = gguf.tensors.reduce(0) { $0 + $1.byteCount }
        parameters = gguf.tensors.reduce(0) { $0 + $1.elementCount }
        let architecture = try? gguf.optionalString("general.architecture")
        let label = (try? gguf.optionalString("general.size_label")) ?? Self.sizeLabel(parameters)
        let fileType = (try? gguf.optionalInt("general.file_type")).map(Self.fileTypeName) ?? "?"
        type = [architecture ?? "?", label, fileType].joined(separator: " ")
    }

    static func sizeLabel(_ parameters: Int) -> String {
        parameters >= 1_000_000_000 ? String(format: "%.1fB", Double(parameters) / 1e9) : String(format: "%.0fM", Double(parameters) / 1e6)
    }

    /// llama.cpp's `llama_model_ftype_name` for the common file types.
    static func fileTypeName(_ fileType: Int) -> String {
        let names: [Int: String] = [
            0: "all F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
            10: "Q2_K - Medium", 11: "Q3_K - Small", 12: "Q3_K - Medium", 13: "Q3_K - Large",
            14: "Q4_K - Small", 15: "Q4_K - Medium", 16: "Q5_K - Small", 17: "Q5_K - Medium", 18: "Q6_K",
            21: "Q2_K - Small", 32: "BF16",
        ]
        return names[fileType & ~1024] ?? "ftype \(fileType)"
    }
}
