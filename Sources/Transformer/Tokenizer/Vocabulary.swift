/// The tokenizer-independent part of a GGUF vocabulary, loaded the way llama.cpp's `llama_vocab::load`
/// does: token texts, scores, attributes, special ids, the end-of-generation set and the flags that
/// steer encoding and decoding.
final class Vocabulary: Sendable {
    enum Kind: Sendable, Equatable {
        case bytePairEncoding(PreTokenizer.Settings)
        case sentencePiece
    }

    let path: String
    let kind: Kind
    let texts: TokenTextTable
    let scores: [Float]
    let attributes: [TokenAttributes]

    let bosID: Int32?
    let eosID: Int32?
    let eotID: Int32?
    let eomID: Int32?
    let unknownID: Int32?
    let endOfGenerationIDs: Set<Int32>

    let addsBOS: Bool
    let addsEOS: Bool
    let addsSpacePrefix: Bool
    let cleansSpaces: Bool
    let specialTokens: SpecialTokenMatcher

    var count: Int { texts.count }

    init(gguf: GGUFFile, preTokenizerName: String? = nil) throws {
        path = gguf.path
        let model = try Self.field(gguf, "tokenizer.ggml.model") { try $0.string("tokenizer.ggml.model") }
        let preName = try preTokenizerName
            ?? Self.field(gguf, "tokenizer.ggml.pre") { try $0.optionalString("tokenizer.ggml.pre") } ?? ""

        // Defaults per tokenizer type, as in llama.cpp; metadata overrides them below.
        var bos: Int32?, eos: Int32?, unknown: Int32?
        var addBOS: Bool, addSpacePrefix: Bool, cleanSpaces: Bool
        switch model {
        case "gpt2":
            guard let settings = PreTokenizer.settings(forName: preName) else {
                throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.pre",
                                     problem: "unknown pre-tokenizer \"\(preName)\" (supported: qwen2, smollm, llama-bpe/llama3, gpt-2, default and their aliases)")
            }
            kind = .bytePairEncoding(settings)
            bos = 11; eos = 11; unknown = nil
            addBOS = settings.addsBOS; addSpacePrefix = false; cleanSpaces = settings.cleansSpaces
        case "llama":
            kind = .sentencePiece
            bos = 1; eos = 2; unknown = 0
            addBOS = true; addSpacePrefix = true; cleanSpaces = false
        default:
            throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.model",
                                 problem: "unknown tokenizer model \"\(model)\" (supported: gpt2, llama)")
        }
        if let value = try Self.field(gguf, "tokenizer.ggml.add_space_prefix", { try $0.optionalBool("tokenizer.ggml.add_space_prefix") }) {
            addSpacePrefix = value
        }

        let tokenStrings = try Self.field(gguf, "tokenizer.ggml.tokens") { try $0.stringArray("tokenizer.ggml.tokens") }
        guard !tokenStrings.isEmpty, tokenStrings.count < Int(Int32.max) else {
            throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.tokens", problem: "has \(tokenStrings.count) tokens, expected at least one")
        }
        let count = tokenStrings.count
        // The text table indexes its bytes with Int32 offsets.
        let textBytes = tokenStrings.reduce(0) { $0 + max($1.utf8.count, 18) }  // empty ones become "[EMPTY_id]"
        guard textBytes < Int(Int32.max) else {
            throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.tokens", problem: "has \(textBytes) bytes of token text, expected less than 2 GiB")
        }
        // llama.cpp renames empty tokens so that every text is distinct and non-empty.
        texts = TokenTextTable(texts: tokenStrings.enumerated().map { id, text in
            text.isEmpty ? Array("[EMPTY_\(id)]".utf8) : Array(text.utf8)
        })

        if gguf.metadata["tokenizer.ggml.scores"] != nil {
            let values = try Self.field(gguf, "tokenizer.ggml.scores") { try $0.numberArray("tokenizer.ggml.scores") }
            guard values.count >= count else {
                throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.scores", problem: "has \(values.count) scores for \(count) tokens")
            }
            scores = values.prefix(count).map { Float($0) }
        } else {
            scores = [Float](repeating: 0, count: count)
        }

        var attributes: [TokenAttributes]
        if gguf.metadata["tokenizer.ggml.token_type"] != nil {
            let types = try Self.field(gguf, "tokenizer.ggml.token_type") { try $0.numberArray("tokenizer.ggml.token_type") }
            guard types.count >= count else {
                throw TokenizerError(path: gguf.path, field: "tokenizer.ggml.token_type", problem: "has \(types.count) types for \(count) tokens")
            }
            attributes = types.prefix(count).map { TokenAttributes(ggufTokenType: Int(exactly: $0) ?? 0) }
        } else {
            attributes = [TokenAttributes](repeating: .normal, count: count)
        }

        func metadataID(_ key: String, default fallback: Int32?) throws -> Int32? {
            let usable = fallback.flatMap { $0 >= 0 && Int($0) < count ? $0 : nil }
            guard let value = try Self.field(gguf, key, { try $0.optionalInt(key) }) else { return usable }
            // llama.cpp keeps the default when the file names an id outside the vocabulary.
            return value >= 0 && value < count ? Int32(value) : usable
        }
        bos = try metadataID("tokenizer.ggml.bos_token_id", default: bos)
        eos = try metadataID("tokenizer.ggml.eos_token_id", default: eos)
        unknown = try metadataID("tokenizer.ggml.unknown_token_id", default: unknown)
        var eot = try metadataID("tokenizer.ggml.eot_token_id", default: nil)
        var eom = try metadataID("tokenizer.ggml.eom_token_id", default: nil)
        var fimPad = try metadataID("tokenizer.ggml.fim_pad_token_id", default: nil)
        var fimRepo = try metadataID("tokenizer.ggml.fim_rep_token_id", default: nil)
        var fimSeparator = try metadataID("tokenizer.ggml.fim_sep_token_id", default: nil)
        var fimPrefix = try metadataID("tokenizer.ggml.fim_pre_token_id", default: nil)
            ?? metadataID("tokenizer.ggml.prefix_token_id", default: nil)
        var fimSuffix = try metadataID("tokenizer.ggml.fim_suf_token_id", default: nil)
            ?? metadataID("tokenizer.ggml.suffix_token_id", default: nil)
        var fimMiddle = try metadataID("tokenizer.ggml.fim_mid_token_id", default: nil)
            ?? metadataID("tokenizer.ggml.middle_token_id", default: nil)

        if let value = try Self.field(gguf, "tokenizer.ggml.add_bos_token", { try $0.optionalBool("tokenizer.ggml.add_bos_token") }) {
            addBOS = value
        }
        let addEOS = try Self.field(gguf, "tokenizer.ggml.add_eos_token") { try $0.optionalBool("tokenizer.ggml.add_eos_token") } ?? false

        // llama.cpp finds end-of-turn and fill-in-the-middle tokens by their text when the file does not
        // name them, and forces them to be control tokens. It walks a hash map, so which of several
        // candidates becomes *the* EOT id is unspecified there; here the lowest id wins.
        let texts = self.texts
        func ids(named names: [String]) -> [Int32] {
            names.compactMap { texts.id(of: Array($0.utf8)) }.sorted()
        }
        func detect(_ slot: inout Int32?, _ names: [String]) {
            guard slot == nil else { return }
            let found = ids(named: names)
            for id in found { attributes[Int(id)].insert(.control) }
            slot = found.first
        }
        detect(&eot, ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
                      "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"])
        detect(&eom, ["<|eom_id|>"])
        detect(&fimPrefix, ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"])
        detect(&fimSuffix, ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"])
        detect(&fimMiddle, ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"])
        detect(&fimPad, ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"])
        detect(&fimRepo, ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"])
        detect(&fimSeparator, ["<|file_sep|>"])

        var endOfGeneration = Set([fimPad, fimRepo, fimSeparator].compactMap { $0 })
        for id in ids(named: ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
                              "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
                              "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
                              "<｜end▁of▁sentence｜>", "[e~["]) {
            endOfGeneration.insert(id)
            attributes[Int(id)].insert(.control)
        }
        // gpt-oss: these are always rendered.
        for id in ids(named: ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]) {
            attributes[Int(id)] = .userDefined
        }
        for id in [eos, eot, eom].compactMap({ $0 }) { endOfGeneration.insert(id) }

        self.bosID = bos
        self.eosID = eos
        self.eotID = eot
        self.eomID = eom
        self.unknownID = unknown
        self.endOfGenerationIDs = endOfGeneration
        self.attributes = attributes
        self.addsBOS = addBOS
        self.addsEOS = addEOS
        self.addsSpacePrefix = addSpacePrefix
        self.cleansSpaces = cleanSpaces
        self.specialTokens = SpecialTokenMatcher(texts: texts, attributes: attributes)
    }

    /// The bytes token `id` stands for, as llama.cpp's `token_to_piece`: control and similar tokens only
    /// when `renderSpecial`, byte tokens `<0xNN>` as their byte, normal tokens through `decodeNormal`
    /// (byte-level BPE or SentencePiece's `▁`).
    func pieceBytes(_ id: Int32, renderSpecial: Bool, decodeNormal: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
        guard id >= 0, Int(id) < count else { return [] }
        let attributes = attributes(of: id)
        if !renderSpecial && !attributes.isDisjoint(with: .hiddenUnlessSpecial) { return [] }
        let text = text(of: id)
        if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text) }
        if attributes.contains(.normal) { return decodeNormal(text) }
        if attributes.contains(.byte) { return byteTokenValue(text).map { [$0] } ?? [] }
        return []
    }

    func attributes(of id: Int32) -> TokenAttributes {
        id >= 0 && Int(id) < attributes.count ? attributes[Int(id)] : []
    }

    func text(of id: Int32) -> ArraySlice<UInt8> {
        id >= 0 && Int(id) < count ? texts.text(of: Int(id)) : []
    }

    /// Turns a `GGUFError` from a typed accessor into a `TokenizerError` naming the same field.
    private static func field<T>(_ gguf: GGUFFile, _ key: String, _ read: (GGUFFile) throws -> T) throws -> T {
        do {
            return try read(gguf)
        } catch let error as GGUFError {
            throw TokenizerError(path: gguf.path, field: key, problem: error.problem)
        }
    }
}
