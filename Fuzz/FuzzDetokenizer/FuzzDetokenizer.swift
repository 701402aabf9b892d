import FuzzSupport
import Transformer

/// The streaming UTF-8 detokenizer on random token sequences. The first byte picks the tokenizer, whether
/// control tokens are rendered, and how the rest becomes ids: each byte as the token of that byte (an
/// arbitrary byte stream, split characters included), or 3-byte groups as ids (some negative or past the
/// vocabulary).
///
/// Checks the documented contract: the streamed chunks plus `flush()` equal `decode(ids, renderSpecial:)`.
func fuzzDetokenizer(_ bytes: UnsafeRawBufferPointer) {
    guard let control = bytes.first else { return }
    let tokenizers = FuzzSupport.tokenizers
    let which = Int(control & 0x03) % tokenizers.count
    let tokenizer = tokenizers[which]
    let renderSpecial = control & 0x04 != 0
    let rest = bytes.dropFirst()

    var ids: [Int32] = []
    if control & 0x08 == 0 {
        let byteTokens = FuzzSupport.byteTokens[which]
        ids = rest.map { byteTokens[Int($0)] }
    } else {
        var group = rest[...]
        while group.count >= 3 {
            let value = Int(group[group.startIndex]) | Int(group[group.startIndex + 1]) << 8 | Int(group[group.startIndex + 2]) << 16
            ids.append(Int32(value % (tokenizer.vocabularySize + 16)) - 8)
            group = group.dropFirst(3)
        }
    }

    var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, rendersSpecialTokens: renderSpecial)
    var streamed = ""
    for id in ids { streamed += detokenizer.append(id) }
    streamed += detokenizer.flush()
    let whole = tokenizer.decode(ids, renderSpecial: renderSpecial)
    FuzzSupport.check(streamed == whole, "streamed \(Array(streamed.utf8)) != decoded \(Array(whole.utf8)) for \(ids)")
}

@main enum Main {
    static func main() { FuzzSupport.run(fuzzDetokenizer, prepare: { _ = FuzzSupport.byteTokens }) }
}
