import Tensor

/// Qwen2 (Qwen2.5, Qwen2.5-Coder): the Llama decoder with biases on the q, k and v projections and
/// NeoX-style RoPE (rotating the two halves of each head), base 1e6 by default.
/// Mirrors llama.cpp `src/models/qwen2.cpp`.
public enum Qwen2 {
    public static func load(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) -> Llama {
        let configuration = try Llama.Configuration(gguf: gguf, vocabularySize: vocabularySize, ropeStyle: .neox,
                                                    defaultRopeBase: 1_000_000, attentionBiases: true)
        return try Llama(configuration: configuration, gguf: gguf)
    }
}
