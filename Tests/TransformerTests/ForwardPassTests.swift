import Foundation
import Testing
import Tensor
@testable import Transformer
import TestSupport

/// The llama.cpp reference for one model (written by scripts/gen_model_fixtures.py).
struct ModelFixture: Decodable {
    struct Logits: Decodable {
        struct Position: Decodable {
            let top_ids: [Int]
            let top_logits: [Float]
        }
        let prompt_ids: [Int32]
        let positions: [Position]
    }
    struct Greedy: Decodable {
        let name: String
        let prompt_ids: [Int32]
        let ids: [Int32]
        let margins: [Float]
    }
    let logits: Logits
    let greedy: [Greedy]
    let cpu: String
    let attention_native_f16: Bool?

    static func load(_ model: String) throws -> ModelFixture {
        try JSONDecoder().decode(ModelFixture.self, from: try TestSupport.fixture("model/\(model).json"))
    }
}

/// A model with one state, for tests.
final class LoadedModel {
    let model: any LanguageModel
    let state: ForwardState

    init(_ name: String, contextSize: Int = 512, batchCapacity: Int = 64) throws {
        let gguf = try GGUFFile(path: try TestSupport.modelPath(name))
        let vocabulary = try gguf.stringArray("tokenizer.ggml.tokens").count
        model = try loadModel(gguf: gguf, vocabularySize: vocabulary)
        state = try ForwardState(shape: model.shape, contextSize: contextSize, batchCapacity: batchCapacity, logitCapacity: batchCapacity, pool: ThreadPool(threadCount: 2))
    }

    /// Logits of every position of `tokens`, evaluated in one batch from position 0.
    func allLogits(_ tokens: [Int32]) -> [[Float]] {
        tokens.withUnsafeBufferPointer { model.forward($0, start: 0, state: state, logits: .all) }
        return (0..<tokens.count).map { Array(state.logitsRow($0)) }
    }
}

/// Largest |ours − reference| over the reference's top ids, and whether the top-5 sets agree
/// (ids closer than `tieMargin` to their neighbour may swap).
func compareLogits(_ ours: [Float], _ reference: ModelFixture.Logits.Position, tieMargin: Float) -> (maxError: Float, topAgrees: Bool) {
    var maxError: Float = 0
    for (id, logit) in zip(reference.top_ids, reference.top_logits) { maxError = max(maxError, abs(ours[id] - logit)) }
    let ourTop = ours.indices.sorted { ours[$0] > ours[$1] }.prefix(5)
    var agrees = true
    for (rank, id) in reference.top_ids.prefix(5).enumerated() where !ourTop.contains(id) {
        // A reference id may fall out of our top 5 only when it was within the tie margin of the 5th or 6th.
        let fifth = reference.top_logits[4]
        let sixth = reference.top_logits[5]
        if !(rank >= 3 && abs(reference.top_logits[rank] - min(fifth, sixth)) < tieMargin) { agrees = false }
    }
    return (maxError, agrees)
}

/// The forward pass reproduces the arithmetic of llama.cpp's CPU backend step for step as its x86 build
/// runs on an AVX-512 VNNI machine (the fixtures' machine class): RoPE with the FMAs GCC contracts, both
/// forms of its flash attention, the repacked-Q4_K and tiled K-quant batch kernels, ggml's dot-product lane
/// orders. There every logit is the same float. AVX2-only machines run other kernels (as llama.cpp does
/// there), whose sums round differently; these bounds hold for them.
let maxLogitError: Float = 1.6
let meanLogitError: Float = 0.65

let sameArithmeticAsFixtures = kernelISAName() == "avx512-vnni"

/// The attention arithmetic of the llama.cpp that made a fixture: on AVX512-FP16 CPUs it sums attention's values in
/// native f16 lanes (`AttentionArithmetic`), which llmrun reproduces on any machine. A fixture says whether its
/// machine did (`attention_native_f16`); those made before they said so name their CPU: the AMD EPYC machines had
/// no AVX512-FP16, the Intel Xeons (Sapphire Rapids) had it.
func attentionArithmetic(ofFixtureFrom cpu: String, nativeF16 recorded: Bool?) -> AttentionArithmetic {
    recorded ?? cpu.hasPrefix("Intel") ? .nativeF16 : .f32Lanes
}

@Test(arguments: ["smollm2-135m", "qwen2.5-0.5b", "gemma3-270m", "qwen2.5-1.5b"])
func logitsMatchLlamaCpp(model name: String) throws {
    let fixture = try ModelFixture.load(name)
    let model = try LoadedModel(name)
    model.state.attentionArithmetic = attentionArithmetic(ofFixtureFrom: fixture.cpu, nativeF16: fixture.attention_native_f16)
    let logits = model.allLogits(fixture.logits.prompt_ids)
    #expect(fixture.logits.positions.count == fixture.logits.prompt_ids.count)
    var worst: Float = 0
    var total: Float = 0
    for (position, reference) in fixture.logits.positions.enumerated() {
        if sameArithmeticAsFixtures {
            let ours = reference.top_ids.map { logits[position][$0] }
            #expect(ours == reference.top_logits, "\(name) position \(position): logits differ from llama.cpp's")
            let ourTop = logits[position].indices.sorted { (logits[position][$0], $1) > (logits[position][$1], $0) }.prefix(reference.top_ids.count)
            #expect(Array(ourTop) == reference.top_ids, "\(name) position \(position): top ids differ")
        } else {
            let (error, agrees) = compareLogits(logits[position], reference, tieMargin: 0.5)
            worst = max(worst, error)
            total += error
            #expect(agrees, "\(name) position \(position): top-5 differs")
        }
    }
    if !sameArithmeticAsFixtures {
        let mean = total / Float(fixture.logits.positions.count)
        print("\(name): max |Δlogit| over reference top-10 = \(worst), mean \(mean)")
        #expect(worst < maxLogitError)
        #expect(mean < meanLogitError)
    }
}

/// AVX2-only machines: reference margins below this are near-ties, where their differently rounded sums
/// may pick either token and the continuations part ways (measured: choices differed only at margins of
/// 0.13 and 0.16). On the fixtures' machine class every token must match.
let nearTieMargin: Float = 0.2

/// Greedy decoding of each case's prompt against llama.cpp's tokens, step by step; stops a case at its first
/// difference (recorded as a failure) or, unless the arithmetic is `exact`ly the fixtures', at a near-tie. Returns the
/// tokens found identical.
func compareGreedy(_ model: any LanguageModel, with cases: [ModelFixture.Greedy], name: String, attention: AttentionArithmetic,
                   exact: Bool = sameArithmeticAsFixtures) throws -> Int {
    // The fixtures' context and batch (n_ctx and n_batch 512): one batch for each prompt, and decoding past 256 tokens
    // over 512 cache slots, where llama.cpp's attention takes its split form.
    let session = try Session(model: model, contextSize: 512, threads: 2, batchSize: 512)
    session.state.attentionArithmetic = attention
    var compared = 0
    for case_ in cases {
        try session.evaluate(case_.prompt_ids)
        for (step, expected) in case_.ids.enumerated() {
            if !exact && case_.margins[step] < nearTieMargin { break }
            let ours = Int32(argmax(session.lastLogits))
            #expect(ours == expected, "\(name) \(case_.name): step \(step) chose \(ours), llama.cpp \(expected) (margin \(case_.margins[step]))")
            if ours != expected { break }
            compared += 1
            try session.append(expected)
        }
        session.reset()
    }
    print("\(name): \(compared) greedy tokens identical to llama.cpp's")
    return compared
}

@Test(arguments: ["smollm2-135m", "qwen2.5-0.5b", "gemma3-270m", "qwen2.5-1.5b"])
func greedyMatchesLlamaCpp(model name: String) throws {
    let fixture = try ModelFixture.load(name)
    let gguf = try GGUFFile(path: try TestSupport.modelPath(name))
    let vocabulary = try gguf.stringArray("tokenizer.ggml.tokens").count
    let model = try loadModel(gguf: gguf, vocabularySize: vocabulary)
    let compared = try compareGreedy(model, with: fixture.greedy, name: name,
                                     attention: attentionArithmetic(ofFixtureFrom: fixture.cpu, nativeF16: fixture.attention_native_f16))
    #expect(compared >= (sameArithmeticAsFixtures ? fixture.greedy.reduce(0) { $0 + $1.ids.count } : 25))
}
