import Tensor

/// Qwen3 (dense): the Llama decoder with NeoX-style RoPE (base 1e6 by default), no projection biases, and a
/// per-head RMSNorm of queries and keys before RoPE (the shared block Gemma 3 also uses). The head size is
/// its own key (`attention.key_length`: 128 for 0.6B, whose queries are twice the embedding wide).
/// Mirrors llama.cpp `src/models/qwen3.cpp`.
public enum Qwen3 {
    public static func load(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) -> Llama {
        let configuration = try Llama.Configuration(gguf: gguf, vocabularySize: vocabularySize, ropeStyle: .neox,
                                                    defaultRopeBase: 1_000_000, queryKeyNorm: true)
        return try Llama(configuration: configuration, gguf: gguf)
    }
}
