import Foundation

/// Sampling settings. Temperature 0 means greedy (argmax), the default for faithful output.
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float = 0
    /// 0 disables.
    public var topK = 40
    /// 1 disables.
    public var topP: Float = 0.95
    /// 0 disables.
    public var minP: Float = 0.05
    /// 1 disables. Divides positive logits (multiplies negative ones) of tokens seen in the penalty window.
    public var repeatPenalty: Float = 1
    /// Subtracted once from the logit of every token seen in the window.
    public var presencePenalty: Float = 0
    /// Subtracted per occurrence in the window.
    public var frequencyPenalty: Float = 0
    /// How many recent tokens the penalties look at.
    public var penaltyWindow = 64
    public var seed: UInt64 = 0

    public init() {}

    public static let greedy = SamplingParameters()
}

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), so that `--seed`
/// reproduces a run exactly on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// A uniform float in [0, 1).
    public mutating func nextUnit() -> Float { Float(next() >> 40) / Float(1 << 24) }
}

/// Picks the next token from logits: penalties, then greedy, or top-k → top-p → min-p → temperature
/// → a seeded draw (llama.cpp's default chain order).
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SeededGenerator
    /// Candidate scratch, reused across calls.
    private var candidates: [(id: Int32, logit: Float)] = []

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        generator = SeededGenerator(seed: parameters.seed)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) -> Int32 {
        let p = parameters
        let penalized = p.repeatPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0
        var counts: [Int32: Int] = [:]
        if penalized {
            for token in history.suffix(p.penaltyWindow) { counts[token, default: 0] += 1 }
        }
        func adjusted(_ id: Int32, _ logit: Float) -> Float {
            guard penalized, let count = counts[id] else { return logit }
            var value = logit > 0 ? logit / p.repeatPenalty : logit * p.repeatPenalty
            value -= p.presencePenalty + Float(count) * p.frequencyPenalty
            return value
        }

        if p.temperature <= 0 {
            var best: Int32 = 0
            var bestValue = -Float.infinity
            for (i, logit) in logits.enumerated() {
                let value = adjusted(Int32(i), logit)
                if value > bestValue {
                    best = Int32(i)
                    bestValue = value
                }
            }
            return best
        }

        candidates.removeAll(keepingCapacity: true)
        for (i, logit) in logits.enumerated() { candidates.append((Int32(i), adjusted(Int32(i), logit))) }
        candidates.sort { $0.logit > $1.logit }
        if p.topK > 0, candidates.count > p.topK { candidates.removeLast(candidates.count - p.topK) }
        // Probabilities at temperature 1 decide top-p and min-p, as in llama.cpp.
        let maximum = candidates[0].logit
        var weights = candidates.map { expf($0.logit - maximum) }
        let total = weights.reduce(0, +)
        var keep = candidates.count
        if p.topP < 1 {
            var cumulative: Float = 0
            for (i, w) in weights.enumerated() {
                cumulative += w / total
                if cumulative >= p.topP {
                    keep = i + 1
                    break
                }
            }
        }
        if p.minP > 0 {
            let threshold = p.minP  // relative to the top probability, whose weight is 1
            keep = min(keep, max(1, weights.prefix(keep).filter { $0 >= threshold }.count))
        }
        weights = candidates.prefix(keep).map { expf(($0.logit - maximum) / p.temperature) }
        let sum = weights.reduce(0, +)
        var draw = generator.nextUnit() * sum
        for (i, w) in weights.enumerated() {
            draw -= w
            if draw < 0 { return candidates[i].id }
        }
        return candidates[keep - 1].id
    }
}
