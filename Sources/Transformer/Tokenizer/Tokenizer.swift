/// Text ↔ token ids, behaving exactly like llama.cpp's tokenizer for the same GGUF file.
///
/// Token ids are `Int32` like llama.cpp's `llama_token`. Implementations are immutable after loading and
/// safe to share between threads.
public protocol Tokenizer: Sendable {
    /// The ids for `text`. `addBOS` prepends the BOS token only when the model adds one (`addsBOS`), as
    /// llama.cpp's `add_special` does. With `parseSpecial`, control tokens written in the text
    /// (e.g. `<|im_start|>`) become their ids; user-defined tokens are matched either way.
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int32]

    /// The text of `ids` (llama.cpp's `detokenize` without rendering control tokens). Bytes that do not
    /// form valid UTF-8 become U+FFFD.
    func decode(_ ids: [Int32]) -> String

    /// The bytes one token stands for (llama.cpp's `token_to_piece`); control and unknown tokens give
    /// their text only with `renderSpecial`. Out-of-range ids give no bytes.
    func pieceBytes(_ id: Int32, renderSpecial: Bool) -> [UInt8]

    /// True when the first piece of a decoded sequence loses one leading space (SentencePiece's
    /// added space prefix), as in llama.cpp's `detokenize`.
    var stripsLeadingSpaceWhenDecoding: Bool { get }

    var bosID: Int32? { get }
    var eosID: Int32? { get }
    /// Every id that ends generation (llama.cpp's EOG set): EOS, EOT, EOM and the end-of-turn-like
    /// control tokens llama.cpp recognises by their text.
    var endOfGenerationIDs: Set<Int32> { get }
    /// Whether the model wants BOS prepended (`tokenizer.ggml.add_bos_token`, else llama.cpp's default
    /// for the tokenizer type).
    var addsBOS: Bool { get }
    /// Whether `encode(_:addBOS: true, …)` also appends EOS (`tokenizer.ggml.add_eos_token`).
    var addsEOS: Bool { get }
    var vocabularySize: Int { get }
}

extension Tokenizer {
    public func encode(_ text: String) -> [Int32] {
        encode(text, addBOS: addsBOS, parseSpecial: false)
    }

    /// The ids of a chat prompt: the template's control tokens become their ids, and the text between
    /// them is encoded as plain text, so that a message cannot smuggle in `<|im_end|>` or the like. For
    /// messages without such strings the ids equal those of `encode(prompt.text, parseSpecial: true)`.
    public func encode(_ prompt: ChatPrompt, addBOS: Bool) -> [Int32] {
        var ids: [Int32] = []
        if addBOS, addsBOS, let bosID { ids.append(bosID) }
        for part in prompt.parts {
            switch part {
            case .control(let token): ids += encode(token, addBOS: false, parseSpecial: true)
            case .text(let text): ids += encode(text, addBOS: false, parseSpecial: false)
            }
        }
        if addBOS, addsEOS, let eosID { ids.append(eosID) }
        return ids
    }

    /// The raw bytes of a token's piece, control tokens included.
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        pieceBytes(id, renderSpecial: true)
    }

    public func isEndOfGeneration(_ id: Int32) -> Bool {
        endOfGenerationIDs.contains(id)
    }

    /// Decoding with the option to render control tokens (`<|im_end|>` …) as text.
    public func decode(_ ids: [Int32], renderSpecial: Bool) -> String {
        var bytes: [UInt8] = []
        var stripSpace = stripsLeadingSpaceWhenDecoding
        for id in ids {
            let piece = pieceBytes(id, renderSpecial: renderSpecial)
            // llama.cpp strips at most one leading space, and only from the very first token.
            if stripSpace, piece.first == 0x20 {
                bytes.append(contentsOf: piece.dropFirst())
            } else {
                bytes.append(contentsOf: piece)
            }
            stripSpace = false
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The tokenizer the GGUF file describes (`tokenizer.ggml.model`: `gpt2` byte-level BPE or `llama`
/// SentencePiece).
public func makeTokenizer(gguf: GGUFFile) throws -> any Tokenizer {
    try makeTokenizer(gguf: gguf, preTokenizerName: nil)
}

/// `preTokenizerName` replaces `tokenizer.ggml.pre` (like llama.cpp's `kv_overrides`); tests use it to
/// check pre-tokenizers no available model uses.
func makeTokenizer(gguf: GGUFFile, preTokenizerName: String?) throws -> any Tokenizer {
    let vocabulary = try Vocabulary(gguf: gguf, preTokenizerName: preTokenizerName)
    switch vocabulary.kind {
    case .bytePairEncoding(let preTokenizer):
        return try BPETokenizer(vocabulary: vocabulary, preTokenizer: preTokenizer, gguf: gguf)
    case .sentencePiece:
        return SentencePieceTokenizer(vocabulary: vocabulary)
    }
}
