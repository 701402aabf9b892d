import Foundation
import Testing
@testable import Transformer

/// Compares the tokenizers with llama.cpp through fixtures made by `scripts/gen_tokenizer_fixtures.py`, on
/// each model's vocabulary alone (`Fixtures/vocab`, made by `scripts/gen_vocab_gguf.py`): no model download.
@Suite struct TokenizerTests {
    static let models = ["smollm2-135m", "gemma3-270m", "qwen2.5-0.5b", "qwen2.5-1.5b"]
    /// "<model>+<pre>": the model's vocabulary with another pre-tokenizer (llama-bpe, gpt-2 and default
    /// are used by none of the models above).
    static let preTokenizerVariants = ["qwen2.5-0.5b+llama-bpe", "qwen2.5-0.5b+gpt-2", "qwen2.5-0.5b+default"]

    struct Fixture: Decodable {
        let model: String
        let llamaCppPython: String
        let cases: [Case]

        struct Case: Decodable {
            let text: String
            let addBOS: Bool
            let parseSpecial: Bool
            let ids: [Int32]

            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                text = try container.decode(String.self)
                addBOS = try container.decode(Bool.self)
                parseSpecial = try container.decode(Bool.self)
                ids = try container.decode([Int32].self)
            }
        }

        enum CodingKeys: String, CodingKey {
            case model, cases
            case llamaCppPython = "llama_cpp_python"
        }
    }

    /// The vocab-only GGUF of a catalog model (its tokenizer metadata and no tensors, made by
    /// `scripts/gen_vocab_gguf.py`), gunzipped into memory: no model download is needed.
    static func vocabularyFile(_ model: String) throws -> GGUFFile {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let path = fixtures.appendingPathComponent("vocab/\(model).gguf.gz").path
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", path]
        let output = Pipe()
        gzip.standardOutput = output
        try gzip.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
        return try GGUFFile(file: bytes.withUnsafeBytes { MappedFile(copying: $0, path: path) })
    }

    /// The tokenizer for a model or "<model>+<pre>" variant.
    static func loadTokenizer(_ name: String) throws -> any Tokenizer {
        try #require(loaded[name]).get()
    }

    /// Each tokenizer is loaded once for all tests (loading parses the whole vocabulary).
    static let loaded: [String: Result<any Tokenizer, any Error>] = Dictionary(uniqueKeysWithValues: (models + preTokenizerVariants).map { name in
        let parts = name.split(separator: "+").map(String.init)
        return (name, Result { try makeTokenizer(gguf: vocabularyFile(parts[0]), preTokenizerName: parts.count > 1 ? parts[1] : nil) })
    })

    static func loadFixture(_ name: String) throws -> Fixture {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tokenizer/\(name).json"))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    static func describe(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
        return escaped.count > 200 ? String(escaped.prefix(200)) + "…" : escaped
    }

    @Test(arguments: models + preTokenizerVariants)
    func idsMatchLlamaCpp(model: String) throws {
        let tokenizer = try Self.loadTokenizer(model)
        let fixture = try Self.loadFixture(model)
        #expect(fixture.cases.count >= (model.contains("+") ? 100 : 300))
        var mismatches = 0
        var firstMismatch: String?
        for testCase in fixture.cases {
            let ids = tokenizer.encode(testCase.text, addBOS: testCase.addBOS, parseSpecial: testCase.parseSpecial)
            if ids != testCase.ids {
                mismatches += 1
                if firstMismatch == nil {
                    let position = zip(ids, testCase.ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, testCase.ids.count)
                    firstMismatch = "\"\(Self.describe(testCase.text))\" (addBOS \(testCase.addBOS), special \(testCase.parseSpecial)): "
                        + "first difference at id \(position): got \(Array(ids[position...].prefix(8))), "
                        + "llama.cpp \(Array(testCase.ids[position...].prefix(8)))"
                }
            }
        }
        let total = fixture.cases.count
        print("\(model): \(total - mismatches)/\(total) fixture strings match llama.cpp \(fixture.llamaCppPython) exactly")
        #expect(mismatches == 0, "\(model): \(mismatches) of \(total) strings differ from llama.cpp; first: \(firstMismatch ?? "")")
    }

    /// Byte-level BPE is lossless except for bytes the vocabulary has no token for (llama.cpp drops them;
    /// SmolLM2 lacks a few). SentencePiece is lossless (byte fallback) except for text that already
    /// contains "▁" (U+2581), which decodes as a space.
    @Test(arguments: models)
    func decodeInvertsEncode(model: String) throws {
        let tokenizer = try Self.loadTokenizer(model)
        let fixture = try Self.loadFixture(model)
        let isSentencePiece = tokenizer is SentencePieceTokenizer
        let droppedBytes = (tokenizer as? BPETokenizer)?.bytesWithoutToken ?? []
        for testCase in fixture.cases where !testCase.parseSpecial {
            if isSentencePiece && testCase.text.unicodeScalars.contains("\u{2581}") { continue }
            if testCase.text.utf8.contains(where: droppedBytes.contains) { continue }
            let ids = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: false)
            let decoded = tokenizer.decode(ids)
            #expect(Array(decoded.utf8) == Array(testCase.text.utf8), "\(model): \"\(Self.describe(testCase.text))\" decodes as \"\(Self.describe(decoded))\"")
        }
    }

    @Test(arguments: models)
    func streamingDecoderEmitsOnlyCompleteCharacters(model: String) throws {
        let tokenizer = try Self.loadTokenizer(model)
        let text = "大语言模型🦙正在改变世界！👨‍👩‍👧‍👦 家族 emoji 和繁體中文、日本語のテキスト、한국어 🇨🇳 ✅ done"
        let ids = tokenizer.encode(text, addBOS: true, parseSpecial: false)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var chunks: [String] = []
        for id in ids {
            let chunk = detokenizer.append(id)
            #expect(!chunk.unicodeScalars.contains("\u{FFFD}"), "chunk \"\(chunk)\" holds a broken character")
            chunks.append(chunk)
        }
        chunks.append(detokenizer.flush())
        #expect(chunks.joined() == text)
        // Some token must have ended inside a character, or the test proves nothing.
        #expect(chunks.dropLast().contains(""), "\(model): no token split a character")
    }

    /// The encode timing behind `llmrun tokenize --timing` returns the ids of a plain encode and one
    /// sample per run (the times themselves belong in BENCHMARKS.md, not here).
    @Test func encodeTimingGivesTheEncodeIdsAndOneSamplePerRun() throws {
        let tokenizer = try Self.loadTokenizer("qwen2.5-0.5b")
        let text = "Tokenizer speed, 分词速度: 12345 🚀"
        let times = try Benchmark.timeEncoding(text, tokenizer: tokenizer, addBOS: true, parseSpecial: false, runs: 4)
        #expect(times.ids == tokenizer.encode(text, addBOS: true, parseSpecial: false))
        #expect(times.samplesNanoseconds.count == 4)
        #expect(Double(times.fastestNanoseconds) <= times.medianNanoseconds)
        #expect(throws: Benchmark.Failure.self) {
            try Benchmark.timeEncoding(text, tokenizer: tokenizer, addBOS: true, parseSpecial: false, runs: 0)
        }
    }

    @Test func streamingDecoderReleasesInvalidBytes() {
        #expect(StreamingDetokenizer.completePrefixLength([0x61, 0xE4, 0xB8]) == 1)
        #expect(StreamingDetokenizer.completePrefixLength([0xE4, 0xB8, 0xAD]) == 3)
        #expect(StreamingDetokenizer.completePrefixLength([0x61, 0xFF]) == 2)
        #expect(StreamingDetokenizer.completePrefixLength([0xED, 0xA0]) == 2)  // a surrogate never completes
        #expect(StreamingDetokenizer.completePrefixLength([0xF0, 0x9F, 0xA6]) == 0)
    }

    @Test(arguments: models)
    func emptyTextGivesOnlyBOS(model: String) throws {
        let tokenizer = try Self.loadTokenizer(model)
        #expect(tokenizer.encode("", addBOS: false, parseSpecial: false) == [])
        let expected = tokenizer.addsBOS ? [try #require(tokenizer.bosID)] : []
        #expect(tokenizer.encode("", addBOS: true, parseSpecial: true) == expected)
        #expect(tokenizer.decode([]) == "")
    }

    @Test(arguments: models)
    func endOfGenerationTokens(model: String) throws {
        let tokenizer = try Self.loadTokenizer(model)
        let eos = try #require(tokenizer.eosID)
        #expect(tokenizer.isEndOfGeneration(eos))
        let endOfTurn = model.hasPrefix("gemma") ? "<end_of_turn>" : model.hasPrefix("qwen") ? "<|im_end|>" : "<|im_end|>"
        let ids = tokenizer.encode(endOfTurn, addBOS: false, parseSpecial: true)
        #expect(ids.count == 1 && tokenizer.isEndOfGeneration(ids[0]))
        #expect(tokenizer.decode(ids) == "")
        #expect(tokenizer.decode(ids, renderSpecial: true) == endOfTurn)
        #expect(tokenizer.tokenBytes(ids[0]) == Array(endOfTurn.utf8))
    }

    @Test(arguments: models)
    func arbitraryInputNeverCrashes(model: String) throws {
        let tokenizer = try Self.loadTokenizer(model)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = String(decoding: bytes, as: UTF8.self)
            let ids = tokenizer.encode(text, addBOS: true, parseSpecial: Bool.random(using: &generator))
            _ = tokenizer.decode(ids)
        }
        _ = tokenizer.decode([-1, Int32.max, Int32(tokenizer.vocabularySize)])
    }

    // MARK: - Metadata errors

    @Test func unknownTokenizerModelIsAnError() throws {
        let path = try Self.writeGGUF(model: "bogus", pre: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: TokenizerError.self) { try makeTokenizer(gguf: GGUFFile(path: path)) }
        #expect(error?.field == "tokenizer.ggml.model")
        #expect(error?.description.contains("bogus") == true)
    }

    @Test func unknownPreTokenizerIsAnError() throws {
        let path = try Self.writeGGUF(model: "gpt2", pre: "no-such-pre")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: TokenizerError.self) { try makeTokenizer(gguf: GGUFFile(path: path)) }
        #expect(error?.field == "tokenizer.ggml.pre")
        #expect(error?.description.contains("no-such-pre") == true)
    }

    /// A minimal GGUF v3 file with only tokenizer metadata.
    static func writeGGUF(model: String, pre: String?) throws -> String {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func appendString(_ string: String) { append(UInt64(string.utf8.count)); bytes.append(contentsOf: string.utf8) }
        var entries: [(String, () -> Void)] = [
            ("tokenizer.ggml.model", { append(UInt32(8)); appendString(model) }),
            ("tokenizer.ggml.tokens", { append(UInt32(9)); append(UInt32(8)); append(UInt64(2)); appendString("a"); appendString("b") }),
            ("tokenizer.ggml.merges", { append(UInt32(9)); append(UInt32(8)); append(UInt64(1)); appendString("a b") }),
        ]
        if let pre { entries.append(("tokenizer.ggml.pre", { append(UInt32(8)); appendString(pre) })) }
        append(UInt32(0x4655_4747))
        append(UInt32(3))
        append(UInt64(0))
        append(UInt64(entries.count))
        for (key, writeValue) in entries {
            appendString(key)
            writeValue()
        }
        let path = NSTemporaryDirectory() + "llmrun-tokenizer-test-\(UUID().uuidString).gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
