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

/// What a sampler draws from: the tokens left after penalties, top-k, top-p, min-p and temperature, most
/// likely first, with unnormalized weights. A token not listed has probability 0.
public struct TokenDistribution: Sendable, Equatable {
    public let tokens: [Int32]
    public let weights: [Float]
    /// The sum of `weights`.
    public let total: Float

    public init(tokens: [Int32], weights: [Float]) {
        precondition(tokens.count == weights.count && !tokens.isEmpty, "\(tokens.count) tokens, \(weights.count) weights")
        self.tokens = tokens
        self.weights = weights
        total = weights.reduce(0, +)
    }

    /// All the probability on one token (greedy decoding, or a draft token proposed outright).
    public static func certain(_ token: Int32) -> TokenDistribution { TokenDistribution(tokens: [token], weights: [1]) }

    public func probability(of token: Int32) -> Float {
        guard total > 0, let index = tokens.firstIndex(of: token) else { return 0 }
        return weights[index] / total
    }

    /// normalize(max(0, self − other)): what speculative sampling draws from after rejecting a token that was
    /// proposed from `other`, so that the token it keeps follows `self` exactly. Self when nothing is left.
    public func excess(over other: TokenDistribution) -> TokenDistribution {
        var otherProbability: [Int32: Float] = [:]
        for (token, weight) in zip(other.tokens, other.weights) where other.total > 0 {
            otherProbability[token] = weight / other.total
        }
        let excess = zip(tokens, weights).map { token, weight in max(0, weight / total - otherProbability[token, default: 0]) }
        return excess.contains { $0 > 0 } ? TokenDistribution(tokens: tokens, weights: excess) : self
    }
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

    public var isGreedy: Bool { parameters.temperature <= 0 }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) -> Int32 {
        isGreedy ? mostLikely(logits, history: history) : draw(from: distribution(logits, history: history))
    }

    /// The distribution `sample` draws from; at temperature 0, certainty of the most likely token.
    public mutating func distribution(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) -> TokenDistribution {
        if isGreedy { return .certain(mostLikely(logits, history: history)) }
        let p = parameters
        let penalties = Penalties(p, history: history)
        candidates.removeAll(keepingCapacity: true)
        for (i, logit) in logits.enumerated() { candidates.append((Int32(i), penalties.apply(to: logit, of: Int32(i)))) }
        candidates.sort { $0.logit > $1.logit }
        if p.topK > 0, candidates.count > p.topK { candidates.removeLast(candidates.count - p.topK) }
        // Probabilities at temperature 1 decide top-p and min-p, as in llama.cpp.
        let maximum = candidates[0].logit
        let weights = candidates.map { expf($0.logit - maximum) }
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
        let kept = candidates.prefix(keep)
        return TokenDistribution(tokens: kept.map(\.id), weights: kept.map { expf(($0.logit - maximum) / p.temperature) })
    }

    /// A token drawn from `distribution` with the seeded generator (one draw of it).
    public mutating func draw(from distribution: TokenDistribution) -> Int32 {
        var draw = generator.nextUnit() * distribution.total
        for (token, weight) in zip(distribution.tokens, distribution.weights) {
            draw -= weight
            if draw < 0 { return token }
        }
        return distribution.tokens[distribution.tokens.count - 1]
    }

    /// A uniform float in [0, 1) from the seeded generator (speculative sampling's acceptance test).
    public mutating func nextUnit() -> Float { generator.nextUnit() }

    private func mostLikely(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) -> Int32 {
        let penalties = Penalties(parameters, history: history)
        var best: Int32 = 0
        var bestValue = -Float.infinity
        for (i, logit) in logits.enumerated() {
            let value = penalties.apply(to: logit, of: Int32(i))
            if value > bestValue {
                best = Int32(i)
                bestValue = value
            }
        }
        return best
    }
}

/// The repetition, presence and frequency penalties for the tokens of the penalty window.
private struct Penalties {
    let parameters: SamplingParameters
    /// Whether any penalty is set (otherwise every logit passes unchanged, without a lookup).
    let isActive: Bool
    /// Occurrences in the window.
    private var counts: [Int32: Int] = [:]

    init(_ parameters: SamplingParameters, history: ArraySlice<Int32>) {
        self.parameters = parameters
        let p = parameters
        isActive = p.repeatPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0
        if isActive {
            for token in history.suffix(p.penaltyWindow) { counts[token, default: 0] += 1 }
        }
    }

    func apply(to logit: Float, of token: Int32) -> Float {
        guard isActive, let count = counts[token] else { return logit }
        let p = parameters
        var value = logit > 0 ? logit / p.repeatPenalty : logit * p.repeatPenalty
        value -= p.presencePenalty + Float(count) * p.frequencyPenalty
        return value
    }
}
