import ArgumentParser
import Transformer

/// `-c` and `-t`, shared by every command that runs a model.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .short, help: "Context size in tokens (default: the model's, at most 4096).")
    var contextSize: Int?

    @Option(name: .short, help: "Threads (default: the number of physical cores).")
    var threads: Int?

    var threadCount: Int { threads ?? physicalCoreCount }

    func validate() throws {
        if let contextSize, contextSize < 8 { throw ValidationError("-c must be at least 8 (got \(contextSize))") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("-t must be between 1 and 256 (got \(threads))") }
    }
}

/// Sampling flags; the defaults are greedy decoding.
struct SamplingOptions: ParsableArguments {
    @Option(name: .customLong("temp"), help: "Temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 disables).")
    var topK = 40

    @Option(name: .customLong("top-p"), help: "Keep the most likely tokens up to this total probability (1 disables).")
    var topP: Float = 0.95

    @Option(name: .customLong("min-p"), help: "Drop tokens below this fraction of the top probability (0 disables).")
    var minP: Float = 0.05

    @Option(name: .customLong("repeat-penalty"), help: "Penalty for tokens of the last 64 (1 disables).")
    var repeatPenalty: Float = 1

    @Option(name: .customLong("presence-penalty"), help: "Subtracted from the logits of tokens already present.")
    var presencePenalty: Float = 0

    @Option(help: "Random seed, so that a sampled run can be reproduced.")
    var seed: UInt64 = 0

    var parameters: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = temperature
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repeatPenalty = repeatPenalty
        p.presencePenalty = presencePenalty
        p.seed = seed
        return p
    }

    func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temp must be 0 or more") }
        guard (0...1).contains(topP), (0...1).contains(minP) else { throw ValidationError("--top-p and --min-p must be between 0 and 1") }
        guard repeatPenalty > 0 else { throw ValidationError("--repeat-penalty must be positive") }
    }
}
