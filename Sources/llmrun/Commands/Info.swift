import ArgumentParser
import Foundation
import Transformer

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a GGUF model: architecture, sizes, tokenizer, tensor types.")

    @Argument(help: "Catalog model name or path to a .gguf file.")
    var model: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let path = try resolveModelPath(model)
        let info = try ModelInfo(gguf: try GGUFFile(path: path))
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
            return
        }
        let special = info.specialTokens.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.id)" + ($0.value.text.map { " \($0.debugDescription)" } ?? "") }
        let parameters = String(format: "%.1fM (%d)", Double(info.parameters) / 1e6, info.parameters)
        let fileSize = "\(Terminal.formatBytes(info.fileSize)) (\(info.fileSize) bytes), GGUF v\(info.ggufVersion)"
        let tokenizer = "\(info.tokenizerModel ?? "-") (pre: \(info.tokenizerPre ?? "-"))"
        var rows: [(String, String)] = []
        rows += [
            ("path", info.path),
            ("file size", fileSize),
            ("name", info.name ?? "-"),
            ("architecture", info.architecture),
            ("parameters", parameters),
        ]
        rows += [
            ("context length", "\(info.contextLength)"),
            ("layers", "\(info.layers)"),
            ("heads", "\(info.heads) (kv \(info.kvHeads)) of \(info.headSize)"),
            ("embedding size", "\(info.embeddingSize)"),
            ("feed-forward size", info.feedForwardSize.map(String.init) ?? "-"),
            ("vocabulary", "\(info.vocabularySize)"),
            ("rope base", info.ropeBase.map { String(format: "%g", $0) } ?? "default"),
            ("rms norm epsilon", info.normEpsilon.map { String(format: "%g", $0) } ?? "-"),
        ]
        if let window = info.slidingWindow { rows.append(("sliding window", "\(window)")) }
        if let cap = info.attentionLogitSoftcap { rows.append(("attention softcap", String(format: "%g", cap))) }
        if let cap = info.finalLogitSoftcap { rows.append(("logit softcap", String(format: "%g", cap))) }
        if let dimensions = info.rotaryDimensions { rows.append(("rope dimensions", "\(dimensions) of \(info.headSize)")) }
        if let factor = info.ropeAttentionFactor { rows.append(("rope attn factor", String(format: "%g", factor))) }
        if let context = info.ropeOriginalContext { rows.append(("rope original ctx", "\(context)")) }
        rows.append(("traits", info.traits.joined(separator: ", ")))
        rows += [
            ("tokenizer", tokenizer),
            ("special tokens", special.joined(separator: ", ")),
            ("chat template", info.hasChatTemplate ? "yes" : "no"),
            ("tensors", "\(info.tensorCount)"),
        ]
        for (key, value) in rows { print(key.padding(toLength: 18, withPad: " ", startingAt: 0) + value) }
        for (type, count) in info.tensorTypes.sorted(by: { info.tensorTypeBytes[$0.key, default: 0] > info.tensorTypeBytes[$1.key, default: 0] }) {
            print("  " + type.padding(toLength: 8, withPad: " ", startingAt: 0) + "\(count) tensors, " + Terminal.formatBytes(info.tensorTypeBytes[type, default: 0]))
        }
    }
}
