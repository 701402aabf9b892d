import Tensor

/// SmolLM3: the Llama decoder with RoPE left out of every fourth layer (layers 3, 7, 11, …: "NoPE"), which
/// llama.cpp fixes at 4 for this architecture (`n_no_rope_layer_step`; no GGUF key sets it).
/// Mirrors llama.cpp `src/models/smollm3.cpp`.
public enum SmolLM3 {
    public static func load(gguf: GGUFFile, vocabularySize: Int) throws(GGUFError) -> Llama {
        let configuration = try Llama.Configuration(gguf: gguf, vocabularySize: vocabularySize, noRopeLayerInterval: 4)
        return try Llama(configuration: configuration, gguf: gguf)
    }
}
