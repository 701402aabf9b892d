import CKernels
import Foundation

/// How the one-token form of attention (below) keeps its f16 sum of weighted values, as one of llama.cpp's builds
/// does: rounding f32 lanes to f16 after each step (its x86 builds), or in native f16 lanes from head size 128 (its
/// build for a CPU with AVX512-FP16, whose ggml_vec_mad_f16 rounds the weight to f16 and each step once).
public enum AttentionArithmetic: Sendable {
    case f32Lanes
    /// With the AVX512-FP16 instructions where the CPU has them, else emulated to the same bits.
    case nativeF16
    /// The emulation, on any CPU (tests check it against the instructions).
    case nativeF16Emulated

    /// What llama.cpp built for this machine does.
    public static let machine: AttentionArithmetic = llk_cpu_has_avx512_fp16() != 0 ? .nativeF16 : .f32Lanes

    var code: Int32 {
        switch self {
        case .f32Lanes: Int32(LLK_ATTENTION_F32_LANES)
        case .nativeF16: Int32(LLK_ATTENTION_NATIVE_F16)
        case .nativeF16Emulated: Int32(LLK_ATTENTION_NATIVE_F16_EMULATED)
        }
    }
}

/// Causal grouped-query attention of `count` new tokens over a cache of f16 keys and values.
///
/// Token t sits at position `start + t` and sees cache positions `first...start + t`, where `first`
/// is 0, or `position - window + 1` for sliding-window layers. Query head h reads kv head
/// h / (headCount / kvHeadCount).
///
/// The arithmetic follows llama.cpp's CPU flash attention (`ggml_compute_forward_flash_attn_ext_f16`),
/// the reference we are measured against, which has two forms: for fewer than 64 new tokens an online
/// softmax over the keys in order, the query rounded to f16, and the weighted sum of values accumulated in
/// f16 (see `AttentionArithmetic`), rescaled whenever a new maximum appears; for batches of 64 or more, its tiled form, all in f32
/// with the softmax maximum updated per tile of 64 cache positions. A lone query over 512 cache slots or more
/// takes its split form (`splitChunk`): the slots are divided among the threads and the parts combined in f32.
/// `softcap` (Gemma 2's attention logit soft-capping; 0 = off) turns each scaled score s into
/// softcap · tanh(s / softcap) before the softmax, inside the kernels as llama.cpp does it. `eachTokenAlone`: every
/// token gets the bits it gets attended alone, as in decoding (speculative decoding verifies drafts so).
/// Shapes: queries (count, headCount, headDim); keys, values (positions, kvHeadCount, headDim);
/// out (count, headCount, headDim); scratch: `attentionScratchCount(headDim:group:threads:)` floats.
public func causalAttention(
    queries q: UnsafePointer<Float>, count: Int, start: Int,
    keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>, cacheCapacity: Int,
    headCount: Int, kvHeadCount: Int, headDim: Int, scale: Float, softcap: Float = 0, window: Int?,
    arithmetic: AttentionArithmetic = .machine, eachTokenAlone: Bool = false,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
) {
    let kvDim = kvHeadCount * headDim
    let group = headCount / kvHeadCount
    let kBase = { (kvHead: Int) in UnsafeRawPointer(keys + kvHead * headDim).assumingMemoryBound(to: UInt16.self) }
    let vBase = { (kvHead: Int) in UnsafeRawPointer(values + kvHead * headDim).assumingMemoryBound(to: UInt16.self) }
    let scratchFloats = attentionScratchCount(headDim: headDim, group: group, threads: 1)
    if count >= tiledAttentionMinimumTokens && !eachTokenAlone {
        // One item: a block of consecutive tokens and the query heads that read one kv head, so that each tile of
        // keys and values is widened once for all of them. Block order 0, n-1, 1, n-2, ...: a causal block's cost
        // grows with its position, and parts are contiguous ranges of items.
        let blocks = (count + tiledAttentionBlockTokens - 1) / tiledAttentionBlockTokens
        pool.parallelParts(blocks * kvHeadCount) { items, part in
            for item in items {
                let rank = item / kvHeadCount
                let block = rank % 2 == 0 ? rank / 2 : blocks - 1 - rank / 2
                let kvHead = item % kvHeadCount
                let t = block * tiledAttentionBlockTokens
                let firstHead = t * headCount + kvHead * group
                llk_attention_tokens_tiled(q + firstHead * headDim, Int64(min(tiledAttentionBlockTokens, count - t)),
                                           Int64(headCount * headDim), Int64(group), Int64(headDim), kBase(kvHead), vBase(kvHead),
                                           Int64(kvDim), Int64(start + t), Int64(window ?? 0), scale, softcap,
                                           out + firstHead * headDim, scratch + part * scratchFloats)
            }
        }
        return
    }
    attendTokenByToken(queries: q, count: count, keys: { _ in keys }, values: { _ in values }, position: { start + $0 },
                       chunk: { count == 1 || eachTokenAlone
                           ? splitChunk(position: start + $0, cacheCapacity: cacheCapacity, threads: pool.threadCount) : 0 },
                       headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim, scale: scale, softcap: softcap, window: window,
                       arithmetic: arithmetic, into: out, scratch: scratch, pool: pool)
}

/// Attention of one new token for each of `count` sequences, token t over its own sequence's cache
/// (`keys[t]`, `values[t]`) at `positions[t]`: batched decoding of several sequences. Each token gets the bits
/// `causalAttention` gives it decoded alone.
public func sequenceAttention(
    queries q: UnsafePointer<Float>, keys: [UnsafePointer<Float16>], values: [UnsafePointer<Float16>], positions: [Int],
    cacheCapacities: [Int],
    headCount: Int, kvHeadCount: Int, headDim: Int, scale: Float, softcap: Float = 0, window: Int?,
    arithmetic: AttentionArithmetic = .machine,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
) {
    precondition(keys.count == positions.count && values.count == positions.count, "one cache and position per sequence")
    attendTokenByToken(queries: q, count: positions.count, keys: { keys[$0] }, values: { values[$0] }, position: { positions[$0] },
                       chunk: { splitChunk(position: positions[$0], cacheCapacity: cacheCapacities[$0], threads: pool.threadCount) },
                       headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim, scale: scale, softcap: softcap, window: window,
                       arithmetic: arithmetic, into: out, scratch: scratch, pool: pool)
}

/// llama.cpp's online-softmax form (see `causalAttention`) for each token on its own: token t reads the cache
/// `keys(t)`, `values(t)` up to `position(t)`.
private func attendTokenByToken(
    queries q: UnsafePointer<Float>, count: Int, keys: (Int) -> UnsafePointer<Float16>, values: (Int) -> UnsafePointer<Float16>,
    position: (Int) -> Int, chunk: (Int) -> Int, headCount: Int, kvHeadCount: Int, headDim: Int, scale: Float, softcap: Float, window: Int?,
    arithmetic: AttentionArithmetic, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
) {
    let kvDim = kvHeadCount * headDim
    let group = headCount / kvHeadCount
    let scratchFloats = attentionScratchCount(headDim: headDim, group: group, threads: 1)
    // One item: query heads of one token that read the same kv head, converted once per key for all of
    // them; single heads when there are too few groups to keep every thread busy (decode, one kv head).
    let headsPerItem = count * kvHeadCount >= pool.threadCount ? group : 1
    pool.parallelParts(count * headCount / headsPerItem) { items, part in
        for item in items {
            // Token order 0, n-1, 1, n-2, ...: a causal token's cost grows with its position.
            let itemsPerToken = headCount / headsPerItem
            let rank = item / itemsPerToken
            let t = rank % 2 == 0 ? rank / 2 : count - 1 - rank / 2
            let firstHead = t * headCount + item % itemsPerToken * headsPerItem
            let kvHead = firstHead % headCount / group
            let tokenPosition = position(t)
            let first = window.map { max(0, tokenPosition - $0 + 1) } ?? 0
            let keyBase = UnsafeRawPointer(keys(t) + kvHead * headDim).assumingMemoryBound(to: UInt16.self)
            let valueBase = UnsafeRawPointer(values(t) + kvHead * headDim).assumingMemoryBound(to: UInt16.self)
            llk_attention_heads(q + firstHead * headDim, Int64(headsPerItem), Int64(headDim), keyBase, valueBase,
                                Int64(kvDim), Int64(first), Int64(tokenPosition), Int64(chunk(t)), scale, softcap, arithmetic.code,
                                out + firstHead * headDim,
                                scratch + part * scratchFloats)
        }
    }
}

/// llama.cpp attends a lone query over 512 cache slots or more in chunks of slots, one per thread, and combines
/// them (its split form). Its slots: the filled ones rounded up to 256 (at least 256), at most the cache's size
/// rounded up to 256. The chunk for the query at `position`, or 0 for one pass.
func splitChunk(position: Int, cacheCapacity: Int, threads: Int) -> Int {
    func roundedUp(_ n: Int) -> Int { (n + 255) / 256 * 256 }
    let slots = min(roundedUp(cacheCapacity), max(256, roundedUp(position + 1)))
    return slots >= 512 ? (slots + threads - 1) / threads : 0
}

/// Floats of scratch `causalAttention` needs.
public func attentionScratchCount(headDim: Int, group: Int, threads: Int) -> Int {
    let perThread = max(llk_attention_scratch_floats(Int64(group), Int64(headDim)),
                        llk_attention_tiled_scratch_floats(Int64(tiledAttentionBlockTokens), Int64(group), Int64(headDim)))
    return threads * Int(perThread)
}

/// Batch size from which llama.cpp's CPU flash attention takes its tiled form (`GGML_FA_TILE_Q`).
public let tiledAttentionMinimumTokens = 64
/// Tokens whose queries share each widened tile of keys and values in the tiled form.
let tiledAttentionBlockTokens = 16
