import Foundation
import Testing
import Tensor
@testable import Transformer

// Speculative sampling keeps the target model's distribution: on tiny random-weight models (no download), the
// first token after a verified draft, over thousands of seeded runs, is distributed as the target's own sample
// (chi-square), whether a draft model drew the draft or it was proposed outright (prompt lookup); and the
// test tells a wrong acceptance rule apart.

@Suite struct SpeculativeSamplingTests {
    static let sampling: SamplingParameters = {
        var parameters = SamplingParameters()
        parameters.temperature = 0.5
        parameters.topK = 12
        parameters.topP = 1
        parameters.minP = 0
        return parameters
    }()
    static let prompt: [Int32] = [3, 141, 59, 26, 53, 58, 9]
    /// The token being decoded; the draft follows it.
    static let token: Int32 = 97
    static let runs = 4000

    static func session(seed: UInt64) throws -> Session {
        var tiny = TinyModel.standard("qwen2")
        tiny.seed = seed
        return try Session(model: try tiny.load(), contextSize: 64, threads: 1)
    }

    /// The target's distribution after the prompt and `token`, and the draft model's (q) there.
    static func distributions() throws -> (p: TokenDistribution, q: TokenDistribution) {
        var result: [TokenDistribution] = []
        for seed: UInt64 in [18, 19] {
            let session = try session(seed: seed)
            try session.evaluate(prompt + [token])
            var sampler = Sampler(sampling)
            result.append(sampler.distribution(session.lastLogits, history: session.tokens[...]))
        }
        return (result[0], result[1])
    }

    /// Pearson's chi-square of `counts` against `runs` draws from `p` (bins expecting fewer than 5 pooled), and
    /// the value it exceeds with probability 1e-4 (Wilson–Hilferty).
    static func chiSquare(_ counts: [Int32: Int], against p: TokenDistribution) -> (value: Double, critical: Double) {
        let total = Double(counts.values.reduce(0, +))
        var bins: [(observed: Double, expected: Double)] = []
        var pooled = (observed: 0.0, expected: 0.0)
        for token in Set(p.tokens).union(counts.keys) {
            let bin = (observed: Double(counts[token, default: 0]), expected: total * Double(p.probability(of: token)))
            if bin.expected >= 5 { bins.append(bin) } else { pooled = (pooled.observed + bin.observed, pooled.expected + bin.expected) }
        }
        if pooled.observed > 0 || pooled.expected > 0 { bins.append(pooled) }
        // A count where nothing is expected makes the value infinite: a token the target can never sample.
        let value = bins.reduce(0) { $0 + ($1.observed - $1.expected) * ($1.observed - $1.expected) / $1.expected }
        let df = Double(bins.count - 1)
        let z = 3.719
        let critical = df * pow(1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot(), 3)
        return (value, critical)
    }

    /// The first token decided after `token` in each of `runs` seeded speculative steps, and how many runs kept
    /// the first draft token.
    static func firstTokens(proposedOutright: Int32? = nil, draftCount: Int = 3) throws -> (counts: [Int32: Int], accepted: Int) {
        let target = try session(seed: 18)
        let draftSession = try session(seed: 19)
        try target.evaluate(prompt)
        var counts: [Int32: Int] = [:]
        var accepted = 0
        for run in 0..<runs {
            var sampling = Self.sampling
            sampling.seed = UInt64(run)
            var sampler = Sampler(sampling)
            var drafter = DraftModelDrafter(session: draftSession, sampling: sampling, minimumConfidence: 0)
            let draft = try proposedOutright.map { Draft(proposedOutright: [$0]) }
                ?? drafter.draft(after: (prompt + [token])[...], count: draftCount)
            let verdict = try Speculator.verify(draft, after: token, session: target, sampler: &sampler)
            let first = try #require(verdict.accepted > 0 ? draft.tokens[0] : verdict.correction, "a rejection without a correction")
            counts[first, default: 0] += 1
            if verdict.accepted > 0 { accepted += 1 }
            target.truncate(to: prompt.count)
        }
        return (counts, accepted)
    }

    @Test func theExcessIsWhatTheTargetHasAboveTheDraft() {
        let p = TokenDistribution(tokens: [1, 2, 3], weights: [2, 1, 1])
        let q = TokenDistribution(tokens: [2, 4], weights: [3, 1])
        let excess = p.excess(over: q)
        // max(0, p − q) = (0.5, 0, 0.25) on 1, 2, 3; nothing on 4, which p never gives.
        #expect(abs(excess.probability(of: 1) - 2.0 / 3) < 1e-6)
        #expect(excess.probability(of: 2) == 0)
        #expect(abs(excess.probability(of: 3) - 1.0 / 3) < 1e-6)
        #expect(excess.probability(of: 4) == 0)
        #expect(p.excess(over: .certain(1)).probability(of: 2) == 0.5)
        // Nothing left over: the target's own distribution.
        #expect(p.excess(over: p) == p)
    }

    @Test func aDrawFromTheDistributionIsTheSample() throws {
        let session = try Self.session(seed: 18)
        try session.evaluate(Self.prompt)
        for seed: UInt64 in 0..<50 {
            var parameters = Self.sampling
            parameters.seed = seed
            var (sampling, drawing) = (Sampler(parameters), Sampler(parameters))
            let sampled = sampling.sample(session.lastLogits, history: session.tokens[...])
            #expect(drawing.draw(from: drawing.distribution(session.lastLogits, history: session.tokens[...])) == sampled)
        }
    }

    @Test func tokensDrawnByADraftModelKeepTheTargetDistribution() throws {
        let (p, q) = try Self.distributions()
        // The two models disagree enough that rejections happen, so the excess is drawn from too.
        #expect(p.tokens != q.tokens)
        let (counts, accepted) = try Self.firstTokens()
        let (value, critical) = Self.chiSquare(counts, against: p)
        print("draft model: first draft token kept in \(accepted) of \(Self.runs) runs; chi-square \(value), 1e-4 critical \(critical)")
        // Both ways out of a step are taken a few hundred times at least: a kept draft token and a correction.
        #expect(accepted > Self.runs / 40 && accepted < Self.runs * 39 / 40)
        #expect(value < critical)
    }

    @Test func aTokenProposedOutrightKeepsTheTargetDistribution() throws {
        let (p, _) = try Self.distributions()
        let (counts, accepted) = try Self.firstTokens(proposedOutright: p.tokens[1])
        let (value, critical) = Self.chiSquare(counts, against: p)
        print("proposed outright: kept in \(accepted) of \(Self.runs) runs; chi-square \(value), 1e-4 critical \(critical)")
        #expect(abs(Double(accepted) / Double(Self.runs) - Double(p.probability(of: p.tokens[1]))) < 0.03)
        #expect(value < critical)
    }

    /// The same test holds a common mistake (after a rejection, drawing from p rather than from the excess of p
    /// over q) far past its critical value: it has the power to catch a wrong rule.
    @Test func aWrongRuleFailsTheTest() throws {
        let (p, q) = try Self.distributions()
        var counts: [Int32: Int] = [:]
        for run in 0..<Self.runs {
            var parameters = Self.sampling
            parameters.seed = UInt64(run)
            var sampler = Sampler(parameters)
            let proposed = sampler.draw(from: q)
            let kept = sampler.nextUnit() * q.probability(of: proposed) < p.probability(of: proposed)
            counts[kept ? proposed : sampler.draw(from: p), default: 0] += 1
        }
        let (value, critical) = Self.chiSquare(counts, against: p)
        print("wrong rule: chi-square \(value), 1e-4 critical \(critical)")
        #expect(value > 5 * critical)
    }
}
