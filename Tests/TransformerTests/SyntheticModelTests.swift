import Foundation
import Testing
import Tensor
@testable import Transformer
import TestSupport

/// Families no catalog model covers, proven against llama.cpp on random-weight models in their real layout
/// (scripts/gen_synthetic_models.py). Each fixture holds the recipe of its GGUF — architecture keys, and per
/// tensor its name, shape, type and seeded generator — and llama.cpp's logits, greedy tokens and perplexity
/// for that file. The test writes the same file in memory (the committed vocab-only GGUF of a catalog model
/// supplies the tokenizer), checks its tensor bytes against the recipe's checksum, and holds the logits to
/// ForwardPassTests' tolerance and the greedy tokens to identity. No download, no Python.
@Suite(.serialized) struct SyntheticModelTests {
    static let models = ["llama3-f32", "llama3-q8_0", "llama3-q4_k", "qwen3-f32", "qwen3-q8_0", "qwen3-q4_k",
                         "smollm3-f32", "smollm3-q8_0", "smollm3-q4_k", "gemma2-q8_0", "gemma2-q4_k",
                         "phi3-f32", "phi3-q8_0", "phi3-q4_k", "phi4-f32", "phi4-q8_0", "phi4-q4_k",
                         "llama3-iq4_xs", "llama3-f16", "qwen3-f16", "llama3-q3_k",
                         "qwen3-iq4_xs", "smollm3-iq4_xs", "gemma2-iq4_xs", "phi3-iq4_xs", "phi4-iq4_xs",
                         "smollm3-f16", "phi3-f16", "phi4-f16"]

    struct Fixture: Decodable {
        struct Recipe: Decodable {
            struct Key: Decodable {
                let key: String
                let type: String
                let value: Value
            }
            /// A metadata value: a number or a string.
            enum Value: Decodable {
                case number(Double)
                case text(String)

                init(from decoder: any Decoder) throws {
                    let container = try decoder.singleValueContainer()
                    if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
                }
            }
            struct Tensor: Decodable {
                let name: String
                let dims: [Int]
                let type: String
                let seed: UInt64?
                let scale: Float?
                let offset: Float?
                let values: [Float]?
            }
            let vocab: String
            let metadata: [Key]
            let tensors: [Tensor]
            let tensor_checksum: Int
        }
        struct Perplexity: Decodable {
            let value: Double
        }
        let recipe: Recipe
        let cpu: String
        let attention_native_f16: Bool?
        let logits: ModelFixture.Logits
        let greedy: [ModelFixture.Greedy]
        let perplexity: Perplexity

        static func load(_ name: String) throws -> Fixture {
            try JSONDecoder().decode(Fixture.self, from: try TestSupport.fixture("synthetic/\(name).json"))
        }
    }

    // MARK: - the file, as the script writes it

    /// The bytes of one tensor of the recipe.
    static func tensorBytes(_ tensor: Fixture.Recipe.Tensor) throws -> [UInt8] {
        let count = tensor.dims.reduce(1, *)
        if let values = tensor.values { return values.withUnsafeBytes { Array($0) } }
        var generator = SplitMix64(state: try #require(tensor.seed))
        let scale = try #require(tensor.scale)
        let offset = tensor.offset ?? 0
        func uniform() -> Float {
            var v = (generator.uniform() * 2 - 1) * scale
            if offset != 0 { v = v + offset }
            return v
        }
        /// Quantized blocks drawn directly, as the script draws them: each f16 scale u · (factor · scale), then the
        /// block's other bytes; the scales are stored first or, with `scalesLast` (Q3_K's layout), last.
        func drawnBlocks(elements: Int, bytes blockBytes: Int, scaleFactors: [Float], scalesLast: Bool = false,
                         byte: () -> UInt8) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count / elements * blockBytes)
            for _ in 0..<count / elements {
                var scales: [UInt8] = []
                for factor in scaleFactors {
                    let half = Float16(generator.uniform() * (factor * scale)).bitPattern
                    scales += [UInt8(truncatingIfNeeded: half), UInt8(truncatingIfNeeded: half >> 8)]
                }
                if !scalesLast { bytes += scales }
                for _ in 2 * scaleFactors.count..<blockBytes { bytes.append(byte()) }
                if scalesLast { bytes += scales }
            }
            return bytes
        }
        switch tensor.type {
        case "f32":
            return [Float]((0..<count).map { _ in uniform() }).withUnsafeBytes { Array($0) }
        case "f16":
            return [Float16]((0..<count).map { _ in Float16(uniform()) }).withUnsafeBytes { Array($0) }
        case "q8_0":
            // d, then 32 quants in -127...127.
            return drawnBlocks(elements: 32, bytes: 34, scaleFactors: [1]) { UInt8(bitPattern: Int8(Int(generator.next() % 255) - 127)) }
        case "q4_k":
            // d and dmin, then 140 bytes of packed scales, minimums and quants.
            return drawnBlocks(elements: 256, bytes: 144, scaleFactors: [1, 7.5]) { UInt8(generator.next() >> 56) }
        case "q3_k":
            // 108 bytes of high bits, low bits and packed 6-bit scales, then d.
            return drawnBlocks(elements: 256, bytes: 110, scaleFactors: [1], scalesLast: true) { UInt8(generator.next() >> 56) }
        case "iq4_xs":
            // d, then 134 bytes of packed 6-bit scales and 4-bit indices.
            return drawnBlocks(elements: 256, bytes: 136, scaleFactors: [1]) { UInt8(generator.next() >> 56) }
        default:
            Issue.record("unknown tensor type \(tensor.type) in the recipe")
            return []
        }
    }

    /// Sum of byte i × (i mod 251 + 1): the script's checksum of one tensor.
    static func checksum(_ bytes: [UInt8]) -> Int {
        var sum = 0
        var weight = 1
        for byte in bytes {
            sum &+= Int(byte) &* weight
            weight = weight == 251 ? 1 : weight + 1
        }
        return sum
    }

    /// The synthetic GGUF of `fixture`, parsed from memory; `overrides` replaces the values of recipe keys, or adds keys.
    static func build(_ fixture: Fixture, overrides: [String: GGUFBuilder.Value] = [:]) throws -> GGUFFile {
        let vocabulary = try TokenizerTests.vocabularyFile(fixture.recipe.vocab)
        var builder = GGUFBuilder()
        for key in fixture.recipe.metadata {
            let value: GGUFBuilder.Value
            switch (key.type, key.value) {
            case ("uint32", .number(let number)): value = .uint32(UInt32(number))
            case ("float32", .number(let number)): value = .float32(Float(number))
            case ("string", .text(let text)): value = .string(text)
            default: throw CocoaError(.coderInvalidValue, userInfo: [NSDebugDescriptionErrorKey: "recipe key \(key.key)"])
            }
            builder.metadata.append((key.key, overrides[key.key] ?? value))
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !fixture.recipe.metadata.contains(where: { $0.key == key }) {
            builder.metadata.append((key, value))
        }
        for key in vocabulary.metadataKeys where key.hasPrefix("tokenizer.") {
            builder.metadata.append((key, .copied(vocabulary.metadata[key]!)))
        }
        var checksum = 0
        for tensor in fixture.recipe.tensors {
            let type: GGMLType = switch tensor.type {
            case "f32": .f32
            case "f16": .f16
            case "q3_k": .q3_K
            case "q4_k": .q4_K
            case "iq4_xs": .iq4_xs
            default: .q8_0
            }
            let data = try tensorBytes(tensor)
            checksum &+= Self.checksum(data)
            builder.tensors.append(GGUFBuilder.Tensor(name: tensor.name, dimensions: tensor.dims, type: type, data: data))
        }
        #expect(checksum == fixture.recipe.tensor_checksum, "the tensors differ from the script's: the generators disagree")
        let bytes = builder.bytes()
        return try GGUFFile(file: bytes.withUnsafeBytes { MappedFile(copying: $0, path: "synthetic-\(fixture.recipe.vocab).gguf") })
    }

    // MARK: - against llama.cpp

    @Test(arguments: models)
    func matchesLlamaCpp(model name: String) throws {
        let fixture = try Fixture.load(name)
        let gguf = try Self.build(fixture)
        let model = try loadModel(gguf: gguf, vocabularySize: try gguf.stringArray("tokenizer.ggml.tokens").count)
        let attention = attentionArithmetic(ofFixtureFrom: fixture.cpu, nativeF16: fixture.attention_native_f16)

        // `llmrun info` reads the family's hyperparameters as the model does.
        let info = try ModelInfo(gguf: gguf)
        #expect(info.headSize == model.shape.headDim && info.layers == model.shape.layerCount && info.kvHeads == model.shape.kvHeadCount)
        #expect(info.traits.contains("Llama 3 RoPE frequency factors (rope_freqs)") == name.hasPrefix("llama3"))
        #expect(info.traits.contains("per-head q/k RMSNorm") == name.hasPrefix("qwen3"))
        #expect(info.traits.contains("no RoPE on every 4th layer") == name.hasPrefix("smollm3"))
        #expect(info.traits.contains("attention and logit soft-capping") == name.hasPrefix("gemma2"))
        #expect(info.traits.contains("fused q/k/v (attn_qkv)") == name.hasPrefix("phi"))
        #expect(info.traits.contains("LongRoPE short/long factors (rope_factors_short, rope_factors_long)") == name.hasPrefix("phi"))
        #expect((info.rotaryDimensions != nil) == name.hasPrefix("phi4"))

        // Logits of every prompt position, in one batch.
        let prompt = fixture.logits.prompt_ids
        let state = try ForwardState(shape: model.shape, contextSize: 256, batchCapacity: prompt.count, logitCapacity: prompt.count,
                                     pool: ThreadPool(threadCount: 2))
        state.attentionArithmetic = attention
        prompt.withUnsafeBufferPointer { model.forward($0, start: 0, state: state, logits: .all) }
        let logits = (0..<prompt.count).map { Array(state.logitsRow($0)) }
        var worst: Float = 0
        var total: Float = 0
        for (position, reference) in fixture.logits.positions.enumerated() {
            let (error, agrees) = compareLogits(logits[position], reference, tieMargin: 0.5)
            worst = max(worst, error)
            total += error
            #expect(agrees, "\(name) position \(position): top-5 differs from llama.cpp's")
        }
        let mean = total / Float(fixture.logits.positions.count)
        print("\(name): max |Δlogit| over llama.cpp's top-10 = \(worst), mean \(mean)")
        #expect(worst < maxLogitError)
        #expect(mean < meanLogitError)
        // Q8_0 and Q4_K take the integer kernels that reproduce ggml's sums: on the fixtures' machine class, the same
        // floats. (F32 goes through OpenBLAS's sgemm, whose sums are ordered unlike ggml's: differences of ~0.01. F16
        // prompts run llama.cpp's tinyBLAS, which sums a product in one accumulator where decoding sums in four.)
        let exact = sameArithmeticAsFixtures && !name.hasSuffix("f32") && !name.hasSuffix("f16")
        if exact { #expect(worst == 0, "\(name): logits differ from llama.cpp's") }

        // Perplexity of the prompt: exp(mean −log softmax(logits[p])[token p+1]).
        var negativeLogLikelihood = 0.0
        for position in 0..<(prompt.count - 1) {
            let row = logits[position].map(Double.init)
            let top = row.max()!
            let logSum = log(row.reduce(0) { $0 + exp($1 - top) }) + top
            negativeLogLikelihood += logSum - row[Int(prompt[position + 1])]
        }
        let perplexity = exp(negativeLogLikelihood / Double(prompt.count - 1))
        #expect(abs(perplexity / fixture.perplexity.value - 1) < 0.005, "\(name): perplexity \(perplexity), llama.cpp \(fixture.perplexity.value)")

        // Greedy continuations, identical token for token.
        let compared = try compareGreedy(model, with: fixture.greedy, name: name, attention: attention, exact: exact)
        if exact { #expect(compared == fixture.greedy.reduce(0) { $0 + $1.ids.count }) }
    }

    /// Gemma 2's fixtures prove its soft-capping only if the caps act on them: with either cap raised until it
    /// no longer bites (c·tanh(x / c) ≈ x), the logits must leave llama.cpp's by more than the tolerance.
    @Test(arguments: ["gemma2.attn_logit_softcapping", "gemma2.final_logit_softcapping"])
    func gemma2SoftcappingActs(key: String) throws {
        let fixture = try Fixture.load("gemma2-q4_k")
        let gguf = try Self.build(fixture, overrides: [key: .float32(1e6)])
        let model = try loadModel(gguf: gguf, vocabularySize: try gguf.stringArray("tokenizer.ggml.tokens").count)
        let prompt = fixture.logits.prompt_ids
        let state = try ForwardState(shape: model.shape, contextSize: 256, batchCapacity: prompt.count, logitCapacity: prompt.count,
                                     pool: ThreadPool(threadCount: 2))
        prompt.withUnsafeBufferPointer { model.forward($0, start: 0, state: state, logits: .all) }
        var worst: Float = 0
        for (position, reference) in fixture.logits.positions.enumerated() {
            worst = max(worst, compareLogits(Array(state.logitsRow(position)), reference, tieMargin: 0.5).maxError)
        }
        print("gemma2-q4_k with \(key) = 1e6: max |Δlogit| over llama.cpp's top-10 = \(worst)")
        #expect(worst > maxLogitError, "\(key) barely changes the logits: the fixture does not prove it")
    }

    /// A phi3 file whose RoPE scaling is of a kind this build does not compute is refused, naming the key.
    @Test func phi3RefusesYarn() throws {
        let fixture = try Fixture.load("phi3-q8_0")
        let gguf = try Self.build(fixture, overrides: ["phi3.rope.scaling.type": .string("yarn")])
        let error = #expect(throws: GGUFError.self) { try loadModel(gguf: gguf, vocabularySize: 49152) }
        #expect(error?.field == "phi3.rope.scaling.type")
    }
}

/// gemma2-f32 (288 MB) and gemma2-f16 (147 MB) carry Gemma's 262k-token vocabulary and would take the fast tier's time:
/// they run with the slow suites (`make test-all`).
@Suite struct SyntheticLargeModelTests {
    @Test(arguments: ["gemma2-f32", "gemma2-f16"])
    func gemma2MatchesLlamaCpp(model: String) throws {
        try SyntheticModelTests().matchesLlamaCpp(model: model)
    }
}
