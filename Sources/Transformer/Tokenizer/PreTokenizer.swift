/// How byte-level BPE text is split into words before merging (llama.cpp's pre-tokenizer types).
enum PreTokenizer: Sendable, Equatable {
    /// `'s|'t|…| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)` (GPT-2).
    case gpt2
    /// Qwen2: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, single digits, punctuation runs
    /// with trailing newlines, newline runs, whitespace.
    case qwen2
    /// Llama 3: as Qwen2 but digits in groups of up to three.
    case llama3
    /// Each `\p{N}` alone, then GPT-2 (StarCoder, SmolLM).
    case digitsThenGPT2
    /// llama.cpp's fallback: punctuation runs, GPT-2, number runs, ASCII digit triples.
    case llamaDefault

    /// Settings llama.cpp attaches to a `tokenizer.ggml.pre` name.
    struct Settings: Sendable, Equatable {
        let preTokenizer: PreTokenizer
        /// `clean_up_tokenization_spaces` when decoding.
        var cleansSpaces = true
        /// Look up a whole word before merging (Llama 3).
        var ignoresMerges = false
        /// Default for `add_bos` when the file does not say.
        var addsBOS = false
    }

    /// nil for names llama.cpp does not know or llmrun does not implement.
    static func settings(forName name: String) -> Settings? {
        switch name {
        case "", "default":
            return Settings(preTokenizer: .llamaDefault)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            return Settings(preTokenizer: .llama3, ignoresMerges: true, addsBOS: true)
        case "dbrx", "smaug-bpe":
            return Settings(preTokenizer: .llama3)
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "grok-2":
            return Settings(preTokenizer: .qwen2, cleansSpaces: false)
        case "megrez", "stablelm2":
            return Settings(preTokenizer: .qwen2)
        case "smollm", "command-r":
            return Settings(preTokenizer: .digitsThenGPT2, cleansSpaces: false)
        case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2":
            return Settings(preTokenizer: .digitsThenGPT2)
        case "gpt-2", "phi-2", "gigachat", "a.x-4.0", "mellum", "mpt", "olmo", "jais", "exaone4":
            return Settings(preTokenizer: .gpt2)
        case "trillion", "granite-docling":
            return Settings(preTokenizer: .gpt2, cleansSpaces: false)
        default:
            return nil
        }
    }
}
