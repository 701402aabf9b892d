import Foundation
import Tensor

/// A model ready to run: the mapped file, its tokenizer and its weights. Immutable and shareable;
/// every sequence gets its own `Session`.
public final class ModelRuntime: @unchecked Sendable {
    public let gguf: GGUFFile
    public let tokenizer: any Tokenizer
    public let model: any LanguageModel

    public init(path: String) throws {
        gguf = try GGUFFile(path: path)
        _ = try ModelInfo(gguf: gguf)  // refuses unsupported architectures with a clear message
        tokenizer = try makeTokenizer(gguf: gguf)
        model = try loadModel(gguf: gguf, vocabularySize: tokenizer.vocabularySize)
    }

    /// The context used when none is asked for: the trained context, at most 4096.
    public var defaultContextSize: Int { min(model.shape.contextLength, 4096) }

    public func makeSession(contextSize: Int? = nil, threads: Int, batchSize: Int = 128, logitRows: Int = 1) throws -> Session {
        try Session(model: model, contextSize: contextSize ?? defaultContextSize, threads: threads, batchSize: batchSize, logitRows: logitRows)
    }

    /// `count` sessions on one pool of `threads` threads, to be decoded together (`BatchGenerator`).
    public func makeSessions(_ count: Int, contextSize: Int? = nil, threads: Int) throws -> [Session] {
        let pool = ThreadPool(threadCount: threads)
        return try (0..<max(1, count)).map { _ in
            try Session(model: model, contextSize: contextSize ?? defaultContextSize, threads: threads, pool: pool)
        }
    }

    /// How this model's vocabulary differs from `other`'s, or nil when the two are the same: the token count, the
    /// rows of logits, then the first token whose text differs ("here" is this model, "there" `other`). A draft
    /// model must share its target's vocabulary, since the two exchange token ids and compare probabilities.
    public func vocabularyDifference(from other: ModelRuntime) -> String? {
        let (count, otherCount) = (tokenizer.vocabularySize, other.tokenizer.vocabularySize)
        guard count == otherCount else { return "\(count) tokens here, \(otherCount) there" }
        let (rows, otherRows) = (model.shape.vocabularySize, other.model.shape.vocabularySize)
        guard rows == otherRows else { return "\(rows) rows of logits here, \(otherRows) there" }
        for id in 0..<Int32(count) {
            let (text, otherText) = (tokenizer.pieceBytes(id, renderSpecial: true), other.tokenizer.pieceBytes(id, renderSpecial: true))
            if text != otherText {
                func quoted(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self).debugDescription }
                return "token \(id) is \(quoted(text)) here, \(quoted(otherText)) there"
            }
        }
        return nil
    }

    /// Tokens of `text` with the model's BOS rule (control-token text is not parsed unless asked).
    public func tokenize(_ text: String, addBOS: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        tokenizer.encode(text, addBOS: addBOS && tokenizer.addsBOS, parseSpecial: parseSpecial)
    }
}

/// The number of physical cores (hyper-threads share a core's execution units; the hot loops gain nothing from them).
public var physicalCoreCount: Int {
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return ProcessInfo.processInfo.activeProcessorCount }
    var cores = Set<String>()
    var physical = "0"
    for line in cpuinfo.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { continue }
        if parts[0] == "physical id" { physical = parts[1] }
        if parts[0] == "core id" { cores.insert(physical + "/" + parts[1]) }
    }
    return cores.isEmpty ? ProcessInfo.processInfo.activeProcessorCount : min(cores.count, ProcessInfo.processInfo.activeProcessorCount)
}
