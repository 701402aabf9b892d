import FuzzSupport
import Transformer

/// BPE and SentencePiece encoding of arbitrary bytes, with and without special-token parsing, on the real
/// vocabularies of the catalog models. The first byte picks the tokenizer and the flags; the rest is the
/// text (invalid UTF-8 becomes U+FFFD, as for any String).
///
/// Checks: every id is in the vocabulary; byte-level BPE without special-token parsing round-trips
/// (decode(encode(text)) == text, as llama.cpp's does for these models) when every byte has a token.
func fuzzTokenizer(_ bytes: UnsafeRawBufferPointer) {
    guard let control = bytes.first else { return }
    let tokenizers = FuzzSupport.tokenizers
    let which = Int(control & 0x03) % tokenizers.count
    let tokenizer = tokenizers[which]
    let parseSpecial = control & 0x04 != 0
    let addBOS = control & 0x08 != 0
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)

    let ids = tokenizer.encode(text, addBOS: addBOS, parseSpecial: parseSpecial)
    for id in ids {
        FuzzSupport.check(id >= 0 && Int(id) < tokenizer.vocabularySize, "id \(id) outside the vocabulary of \(tokenizer.vocabularySize)")
    }
    let decoded = tokenizer.decode(ids)
    // Bytes without a token of their own (a few control bytes in SmolLM2's vocabulary) are dropped, as in llama.cpp.
    let byteTokens = FuzzSupport.byteTokens[which]
    let everyByteHasToken = text.utf8.allSatisfy { byteTokens[Int($0)] >= 0 }
    if FuzzSupport.isByteLevelBPE[which], !parseSpecial, !addBOS || !tokenizer.addsBOS, everyByteHasToken {
        FuzzSupport.check(decoded == text, "BPE round trip: \(Array(text.utf8)) → \(ids) → \(Array(decoded.utf8))")
    }
}

@main enum Main {
    static func main() { FuzzSupport.run(fuzzTokenizer, prepare: { _ = FuzzSupport.byteTokens }) }
}
