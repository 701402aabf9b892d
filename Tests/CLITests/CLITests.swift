import Foundation
import Testing

/// Runs the built `llmrun` binary (it sits beside the test bundle) and captures what it prints.
func llmrun(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let candidates = [Bundle.main.executableURL, Bundle.main.bundleURL.appendingPathComponent("x")].compactMap { $0 }
        .map { $0.deletingLastPathComponent().appendingPathComponent("llmrun") }
    let binary = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                              "llmrun binary not found in \(candidates.map(\.path))")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdoutData, as: UTF8.self), String(decoding: stderrData, as: UTF8.self))
}

func temporaryFile(_ bytes: [UInt8], name: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("llmrun-cli-\(UUID().uuidString)-\(name)")
    try Data(bytes).write(to: url)
    return url.path
}

/// A 160-byte GGUF whose second tensor claims 2^63 - 2 bytes at offset 32 (it once crashed `info` with an
/// arithmetic overflow; Tests/TransformerTests/Fixtures/fuzz/gguf-tensor-size-overflow.input is the same file).
private func hugeTensorGGUF() -> [UInt8] {
    var out: [UInt8] = []
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    u32(0x4655_4747); u32(3); u64(2); u64(0)
    u64(1); out += Array("a".utf8); u32(1); u64(8); u32(0); u64(0)  // f32 [8] at 0
    u64(1); out += Array("b".utf8); u32(1); u64(UInt64(Int.max / 2)); u32(1); u64(32)  // f16 [2^62 - 1] at 32
    out += [UInt8](repeating: 0, count: (32 - out.count % 32) % 32 + 64)
    return out
}

@Test(arguments: [
    ("empty.gguf", [UInt8]()),
    ("text.gguf", Array("hello, this is not a model\n".utf8)),
    ("truncated.gguf", [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 1]),
    ("huge-tensor.gguf", hugeTensorGGUF()),
])
func badModelFileIsOneLineErrorWithStatus1(name: String, bytes: [UInt8]) throws {
    let path = try temporaryFile(bytes, name: name)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try llmrun(["info", path])
    #expect(result.status == 1)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr: \(result.stderr)")
    #expect(result.stderr.contains(path))
    #expect(result.stdout.isEmpty)
}

@Test func missingModelNamesTheCatalog() throws {
    let result = try llmrun(["info", "no-such-model"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("qwen2.5-1.5b"))
}

@Test func infoJSONHasTheDocumentedKeys() throws {
    let result = try llmrun(["info", "smollm2-135m", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    for key in ["architecture", "tensor_count", "tensor_types", "parameters", "context_length", "file_size", "path"] {
        #expect(object[key] != nil, "missing \(key)")
    }
    #expect(object["architecture"] as? String == "llama")
    #expect((object["tensor_types"] as? [String: Int])?["Q4_1"] == 210)
}

@Test func tokenizeJSONPrintsOneArrayOfIds() throws {
    let result = try llmrun(["tokenize", "-m", "qwen2.5-0.5b", "--json", "你好，世界 hello"])
    #expect(result.status == 0, "\(result.stderr)")
    let ids = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Int])
    #expect(!ids.isEmpty)
    let special = try llmrun(["tokenize", "-m", "qwen2.5-0.5b", "--json", "--special", "<|im_start|>"])
    #expect(special.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[151644]")
    let plain = try llmrun(["tokenize", "-m", "qwen2.5-0.5b", "--json", "<|im_start|>"])
    #expect(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "[151644]")
}

@Test func tokenizeTimingPrintsTheEncodeTimeAndTheSameIds() throws {
    let text = "Tokenizer speed: 分词速度 🚀 1234567"
    let plain = try llmrun(["tokenize", "-m", "smollm2-135m", "--json", text])
    let timed = try llmrun(["tokenize", "-m", "smollm2-135m", "--json", "--timing", "3", text])
    #expect(timed.status == 0, "\(timed.stderr)")
    #expect(timed.stdout == plain.stdout)
    let ids = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [Int])
    let line = try #require(timed.stderr.split(separator: "\n").first { $0.hasPrefix("encode:") }, "\(timed.stderr)")
    #expect(line.hasPrefix("encode: \(ids.count) ids from \(text.utf8.count) bytes, median "), "\(line)")
    #expect(line.hasSuffix(" over 3 runs"), "\(line)")
    let zero = try llmrun(["tokenize", "-m", "smollm2-135m", "--timing", "0", text])
    #expect(zero.status != 0)
    #expect(zero.stderr.contains("--timing must be at least 1"), "\(zero.stderr)")
}

@Test func tokenizeRejectsInvalidUTF8WithTheOffset() throws {
    let path = try temporaryFile(Array("abc".utf8) + [0xFF] + Array("def".utf8), name: "bad.txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try llmrun(["tokenize", "-m", "smollm2-135m", "-f", path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("offset 3"), "\(result.stderr)")
    let lossy = try llmrun(["tokenize", "-m", "smollm2-135m", "--json", "--lossy", "-f", path])
    #expect(lossy.status == 0)
}

@Test func emptyPromptIsAClearError() throws {
    let result = try llmrun(["generate", "-m", "qwen2.5-0.5b", "-p", "", "-n", "4"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("empty"), "\(result.stderr)")
}

@Test func summarizeRefusesBinaryInput() throws {
    let path = try temporaryFile([0x00, 0x01, 0x02, 0x00, 0xFF, 0x00, 0x10, 0x00], name: "binary.txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try llmrun(["summarize", path, "-m", "qwen2.5-0.5b"])
    #expect(result.status == 1)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
}

/// The README's table of bad inputs, text side: each is refused before any model is loaded, with one line
/// on stderr that names the file and the problem, and exit status 1.
@Test(arguments: [
    ("empty.txt", [UInt8](), "empty"),
    ("blank.txt", Array(" \n\t\u{3000}\n".utf8), "only whitespace"),
    ("utf16.txt", [0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00], "UTF-16LE"),
    ("latin1.txt", Array("caf".utf8) + [0xE9] + Array(" au lait, tr".utf8) + [0xE8, 0x73] + Array(" bon\n".utf8), "not valid UTF-8"),
    ("binary.txt", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00], "binary"),
])
func badTextFileIsOneLineErrorWithStatus1(name: String, bytes: [UInt8], expected: String) throws {
    let path = try temporaryFile(bytes, name: name)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try llmrun(["summarize", path, "-m", "qwen2.5-0.5b"])
    #expect(result.status == 1)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.contains(path), "\(result.stderr)")
    #expect(result.stderr.contains(expected), "\(result.stderr)")
    #expect(result.stdout.isEmpty)
}

@Test func missingTextFileIsOneLineErrorWithStatus1() throws {
    let path = "/nonexistent/article.txt"
    let result = try llmrun(["summarize", path, "-m", "qwen2.5-0.5b"])
    #expect(result.status == 1)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.contains(path), "\(result.stderr)")
}

@Test func generateWithADraftModelPrintsThePlainOutputAndItsAcceptance() throws {
    let prompt = "Repeat exactly: The committee met on 14 March 2023 in Geneva. Repeated: The committee met on"
    let plain = try llmrun(["generate", "-m", "qwen2.5-0.5b", "-p", prompt, "-n", "16", "-t", "2"])
    let drafted = try llmrun(["generate", "-m", "qwen2.5-0.5b", "--draft", "qwen2.5-0.5b", "--draft-max", "4", "-v", "-p", prompt, "-n", "16", "-t", "2"])
    #expect(drafted.status == 0, "\(drafted.stderr)")
    #expect(drafted.stdout == plain.stdout)
    let line = try #require(drafted.stderr.split(separator: "\n").first { $0.hasPrefix("draft: ") }, "\(drafted.stderr)")
    #expect(line.contains("draft tokens accepted (100%)") && line.contains("effective"), "\(line)")
}

@Test func aDraftModelOfAnotherVocabularyIsOneLineErrorWithStatus1() throws {
    let result = try llmrun(["generate", "-m", "qwen2.5-0.5b", "--draft", "smollm2-135m", "-p", "hello", "-n", "4"])
    #expect(result.status == 1)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr: \(result.stderr)")
    #expect(result.stderr.contains("smollm2-135m.gguf: cannot draft for ") && result.stderr.contains("qwen2.5-0.5b.gguf"), "\(result.stderr)")
    #expect(result.stderr.contains("49152 tokens here, 151936 there"), "\(result.stderr)")
    let both = try llmrun(["generate", "-m", "qwen2.5-0.5b", "--draft", "qwen2.5-0.5b", "--lookup", "-p", "hello", "-n", "4"])
    #expect(both.status == 1)
    #expect(both.stderr.split(separator: "\n").count == 1, "stderr: \(both.stderr)")
    #expect(both.stderr.contains("--lookup and --draft"), "\(both.stderr)")
}
