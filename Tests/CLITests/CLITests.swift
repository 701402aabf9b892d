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

@Test(arguments: [
    ("empty.gguf", [UInt8]()),
    ("text.gguf", Array("hello, this is not a model\n".utf8)),
    ("truncated.gguf", [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 1]),
])
func badModelFileIsOneLineErrorWithStatus1(name: String, bytes: [UInt8]) throws {
    let path = try temporaryFile(bytes, name: name)
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

@Test func tokenizeRejectsInvalidUTF8WithTheOffset() throws {
    let path = try temporaryFile(Array("abc".utf8) + [0xFF] + Array("def".utf8), name: "bad.txt")
    let result = try llmrun(["tokenize", "-m", "smollm2-135m", "-f", path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("byte 3"), "\(result.stderr)")
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
    let result = try llmrun(["summarize", path, "-m", "qwen2.5-0.5b"])
    #expect(result.status == 1)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
}
