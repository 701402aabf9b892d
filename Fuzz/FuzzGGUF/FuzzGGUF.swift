import Foundation
import FuzzSupport
import Transformer

/// GGUF header, metadata and tensor-info parsing and validation, then everything built from the parsed
/// file: `ModelInfo` (llmrun info), the tokenizer, and the model's configuration and weight shapes.
/// Any input must give a value or a thrown error, never a crash, and what parses must stay in bounds.
func fuzzGGUF(_ bytes: UnsafeRawBufferPointer) {
    let file = MappedFile(copying: bytes, path: "fuzz.gguf")
    guard let gguf = try? GGUFFile(file: file) else { return }

    let end = gguf.fileSize
    FuzzSupport.check(gguf.dataOffset >= 0 && (gguf.dataOffset <= end || gguf.tensors.isEmpty), "data offset \(gguf.dataOffset) past \(end)")
    for tensor in gguf.tensors {
        FuzzSupport.check(gguf.dataOffset + tensor.offset + tensor.byteCount <= end, "tensor \(tensor.name) runs past the file")
        FuzzSupport.check(gguf.data(for: tensor).count == tensor.byteCount, "tensor \(tensor.name) byte count")
        FuzzSupport.check(gguf.tensor(named: tensor.name) != nil, "tensor \(tensor.name) not found by name")
    }
    for key in gguf.metadataKeys {
        _ = gguf.metadata[key]?.summary
    }

    let info = stage("ModelInfo") { try ModelInfo(gguf: gguf) }
    let tokenizer = stage("makeTokenizer") { try makeTokenizer(gguf: gguf) }
    if let tokenizer {
        for parseSpecial in [false, true] {
            let ids = tokenizer.encode("Hello, world! 你好 <|im_start|><s> \u{2581}x", addBOS: true, parseSpecial: parseSpecial)
            for id in ids {
                FuzzSupport.check(id >= 0 && Int(id) < tokenizer.vocabularySize, "id \(id) outside the vocabulary of \(tokenizer.vocabularySize)")
            }
            _ = tokenizer.decode(ids)
        }
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, rendersSpecialTokens: true)
        for id in Int32(-1)...Int32(min(tokenizer.vocabularySize, 64)) { _ = detokenizer.append(id) }
        _ = detokenizer.flush()
    }
    // What `ModelRuntime` does next; only when the header passed the checks before it.
    if info != nil, let vocabularySize = tokenizer?.vocabularySize {
        _ = stage("loadModel") { try loadModel(gguf: gguf, vocabularySize: vocabularySize) }
    }
}

/// `body`'s value, or nil when it throws; with FUZZ_VERBOSE set, says which (to see how deep a seed gets).
private func stage<T>(_ name: String, _ body: () throws -> T) -> T? {
    do {
        let value = try body()
        if verbose { FuzzSupport.printError("\(name): ok\n") }
        return value
    } catch {
        if verbose { FuzzSupport.printError("\(name): \(error)\n") }
        return nil
    }
}

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

@main enum Main {
    static func main() { FuzzSupport.run(fuzzGGUF) }
}
