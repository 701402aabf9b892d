import Foundation
import Testing
import Tensor
@testable import Transformer

/// The forward pass of every architecture on tiny random-weight models (`TinyModel`): no download, a
/// few seconds. What they check is consistency, not values: one batch and one token at a time give the
/// same logits, a reused cache gives what a fresh one gives, Gemma 3's window limits what a layer sees,
/// and RoPE makes the logits depend on where tokens are. That catches most KV-cache, batching, mask and
/// position bugs; the values themselves are compared with llama.cpp in ForwardPassTests (real models).
@Suite struct TinyModelTests {
    static let threads = 2

    /// `count` token ids drawn from a fixed seed.
    static func tokens(_ count: Int, seed: UInt64 = 7, vocabulary: Int = 256) -> [Int32] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Int32.random(in: 0..<Int32(vocabulary), using: &generator) }
    }

    /// The last logits after `Session.evaluate(prompt)` on a fresh session, in batches of `batchSize`.
    static func evaluated(_ model: any LanguageModel, _ prompt: [Int32], batchSize: Int = 128) throws -> [Float] {
        let session = try Session(model: model, contextSize: model.shape.contextLength, threads: threads, batchSize: batchSize)
        try session.evaluate(prompt)
        return Array(session.lastLogits)
    }

    /// The logits after each token, appended one at a time (decode).
    static func appended(_ model: any LanguageModel, _ prompt: [Int32]) throws -> [[Float]] {
        let session = try Session(model: model, contextSize: model.shape.contextLength, threads: threads)
        return try prompt.map { token in
            try session.append(token)
            return Array(session.lastLogits)
        }
    }

    /// max |a − b| / max |b|: 0 when the logits are the same bits.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 0
        let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        return scale > 0 ? difference / scale : difference
    }

    /// The architectures with Q8_0 weights (the integer kernels of the real models' formats) and with F32 and
    /// F16 weights (sgemm).
    static let variants: [(String, GGMLType)] = TinyModel.architectures.flatMap { a in [GGMLType.q8_0, .f32, .f16].map { (a, $0) } }

    static func model(_ architecture: String, _ type: GGMLType) throws -> any LanguageModel {
        var tiny = TinyModel.standard(architecture)
        tiny.weightType = type
        return try tiny.load()
    }

    /// How far a batch's last logits may be from decode's, relative to the largest logit. Q8_0: none, its
    /// batched products give each row the bits of a product of that row alone. F32 and F16 go through sgemm,
    /// whose result for one row (decode) and for a batch differ in the last bit; a key or value one ulp away
    /// may then round to the neighbouring f16 in the cache (2^-11 relative), which the later layers carry to
    /// the logits: 6e-4 at most here, so 2e-3.
    static func batchTolerance(_ type: GGMLType) -> Float { type == .q8_0 ? 0 : 2e-3 }

    /// Records a failure naming the difference (not the 256 logits) when it exceeds `tolerance`.
    static func expectClose(_ a: [Float], _ b: [Float], tolerance: Float, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let difference = relativeDifference(a, b)
        #expect(difference <= tolerance, "\(what): relative difference \(difference), tolerance \(tolerance)", sourceLocation: sourceLocation)
    }

    // MARK: - Batched and stepwise evaluation

    /// A prompt of 24 tokens evaluated in one forward pass, and in batches of 5 (so that later batches start
    /// past position 0), gives decode's logits (`batchTolerance`: the same bits with Q8_0). Below 64 tokens the
    /// attention takes the same form as decode's (llama.cpp's online softmax).
    @Test(arguments: variants)
    func prefillMatchesStepwiseDecode(architecture: String, type: GGMLType) throws {
        let model = try Self.model(architecture, type)
        let prompt = Self.tokens(24)
        let stepwise = try Self.appended(model, prompt)
        for batchSize in [128, 5] {
            Self.expectClose(try Self.evaluated(model, prompt, batchSize: batchSize), stepwise.last!, tolerance: Self.batchTolerance(type),
                             "\(architecture) \(type.name), batches of \(batchSize)")
        }
        // Not a constant: the logits move from token to token.
        #expect(Self.relativeDifference(stepwise[22], stepwise[23]) > 0.1)
    }

    /// `appendVerifying` (speculative decoding's verification) evaluates the 24 tokens in one call with the
    /// decode kernels' arithmetic: every row is decode's, bit for bit, whatever the weight type.
    @Test(arguments: variants)
    func rowwiseBatchEqualsStepwiseDecodeInEveryRow(architecture: String, type: GGMLType) throws {
        let model = try Self.model(architecture, type)
        let prompt = Self.tokens(24)
        let stepwise = try Self.appended(model, prompt)
        let session = try Session(model: model, contextSize: model.shape.contextLength, threads: Self.threads, draftCapacity: prompt.count - 1)
        try session.appendVerifying(prompt)
        for position in prompt.indices {
            let row = try #require(session.logits(after: position))
            Self.expectClose(Array(row), stepwise[position], tolerance: 0, "\(architecture) \(type.name), row \(position)")
        }
    }

    /// From 64 tokens a batch takes the tiled attention (all f32, as llama.cpp's), while decode keeps the
    /// online form (query rounded to f16, values summed in f16); the logits then differ by that rounding,
    /// carried through the layers: up to 2e-3 with float weights (tolerance 1e-2), 1.5e-2 with Q8_0, whose
    /// activations are rounded to 8 bits at every product (tolerance 5e-2). A wrong mask or position moves
    /// them by 0.3 or more (see the window test).
    @Test(arguments: variants)
    func longPrefillMatchesStepwiseDecodeClosely(architecture: String, type: GGMLType) throws {
        let model = try Self.model(architecture, type)
        let prompt = Self.tokens(80)
        let stepwise = try Self.appended(model, prompt).last!
        Self.expectClose(try Self.evaluated(model, prompt), stepwise, tolerance: type == .q8_0 ? 5e-2 : 1e-2, "\(architecture) \(type.name), 80 tokens")
    }

    // MARK: - Cache reuse

    /// A session that evaluated one prompt and then gets another sharing its first 12 tokens keeps those
    /// 12 and evaluates the rest: the logits are a fresh session's (within `batchTolerance`), whether the new
    /// prompt is shorter than the old one (stale cache entries past it must not be read) or extends it.
    @Test(arguments: variants)
    func cacheReuseMatchesFreshSession(architecture: String, type: GGMLType) throws {
        let model = try Self.model(architecture, type)
        let first = Self.tokens(30, seed: 1)
        let shorter = Array(first.prefix(12)) + Self.tokens(8, seed: 2)
        let longer = first + Self.tokens(6, seed: 3)
        for second in [shorter, longer] {
            let session = try Session(model: model, contextSize: model.shape.contextLength, threads: Self.threads)
            try session.evaluate(first)
            let afterFirst = Array(session.lastLogits)
            try session.evaluate(second)
            #expect(session.tokens == second)
            let reused = Array(session.lastLogits)
            Self.expectClose(reused, try Self.evaluated(model, second), tolerance: Self.batchTolerance(type),
                             "\(architecture) \(type.name), second prompt of \(second.count)")
            #expect(Self.relativeDifference(reused, afterFirst) > 0.1)
        }
    }

    // MARK: - Gemma 3's sliding window

    /// With a window of 8 on layers 0–4 (layer 5 is global), 40 tokens give decode's logits when batched
    /// (`batchTolerance`); the same weights with a window past the context give the same bits up to 8 tokens
    /// and different logits from the 9th, where the window first hides a position.
    @Test(arguments: [GGMLType.q8_0, .f16])
    func slidingWindowLimitsWhatALayerSees(type: GGMLType) throws {
        var tiny = TinyModel.standard("gemma3")
        tiny.weightType = type
        let windowed = try tiny.load()
        tiny.slidingWindow = 4096
        let global = try tiny.load()
        let prompt = Self.tokens(40)

        let stepwise = try Self.appended(windowed, prompt)
        Self.expectClose(try Self.evaluated(windowed, prompt), stepwise.last!, tolerance: Self.batchTolerance(type), "window 8, batched")
        let globalStepwise = try Self.appended(global, prompt)
        Self.expectClose(try Self.evaluated(global, prompt), globalStepwise.last!, tolerance: Self.batchTolerance(type), "window 4096, batched")

        for count in 1...8 {
            Self.expectClose(stepwise[count - 1], globalStepwise[count - 1], tolerance: 0, "\(count) tokens fit in the window")
        }
        for count in [9, 16, 40] {
            let difference = Self.relativeDifference(stepwise[count - 1], globalStepwise[count - 1])
            #expect(difference > 0.1, "after \(count) tokens the window hides \(count - 8) positions, yet the logits differ by \(difference) only")
        }
    }

    // MARK: - Positions

    /// In a one-layer model the last token's attention reads keys and values computed from each prompt token
    /// alone, so without positions the prompts a b c z and b a c z would give the same logits (up to the
    /// order of a sum). RoPE tells them apart: the logits at z depend on where a and b are.
    @Test(arguments: TinyModel.architectures)
    func logitsDependOnPositions(architecture: String) throws {
        var tiny = TinyModel.standard(architecture)
        tiny.layers = 1
        let model = try tiny.load()
        let (a, b, c, z): (Int32, Int32, Int32, Int32) = (3, 141, 59, 26)
        let inOrder = try Self.evaluated(model, [a, b, c, z])
        let swapped = try Self.evaluated(model, [b, a, c, z])
        let difference = Self.relativeDifference(swapped, inOrder)
        #expect(difference > 1e-2, "\(architecture): swapping two earlier tokens changes the logits by \(difference) only")
    }
}
