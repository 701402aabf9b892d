import CKernels
import Foundation

/// Causal grouped-query attention of `count` new tokens over a cache of f16 keys and values.
///
/// Token t sits at position `start + t` and sees cache positions `first...start + t`, where `first`
/// is 0, or `position - window + 1` for sliding-window layers. Query head h reads kv head
/// h / (headCount / kvHeadCount).
///
/// The arithmetic follows llama.cpp's CPU flash attention (`ggml_compute_forward_flash_attn_ext_f16`),
/// the reference we are measured against: an online softmax over the keys in order, the query rounded
/// to f16, and the weighted sum of values accumulated in f16, rescaled whenever a new maximum appears.
/// Shapes: queries (count, headCount, headDim); keys, values (positions, kvHeadCount, headDim);
/// out (count, headCount, headDim); scratch: `attentionScratchCount(headDim:group:threads:)` floats.
public func causalAttention(
    queries q: UnsafePointer<Float>, count: Int, start: Int,
    keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    headCount: Int, kvHeadCount: Int, headDim: Int, scale: Float, window: Int?,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
) {
    let kvDim = kvHeadCount * headDim
    let group = headCount / kvHeadCount
    // One item: query heads of one token that read the same kv head, converted once per key for all of
    // them; single heads when there are too few groups to keep every thread busy (decode, one kv head).
    let headsPerItem = count * kvHeadCount >= pool.threadCount ? group : 1
    let scratchFloats = Int(llk_attention_scratch_floats(Int64(headsPerItem), Int64(headDim)))
    pool.parallelParts(count * headCount / headsPerItem) { items, part in
        let partScratch = scratch + part * scratchFloats
        for item in items {
            // Token order 0, n-1, 1, n-2, ...: a causal token's cost grows with its position, and parts are
            // contiguous ranges of items, so pairing short and long rows keeps the parts' work even.
            let itemsPerToken = headCount / headsPerItem
            let rank = item / itemsPerToken
            let t = rank % 2 == 0 ? rank / 2 : count - 1 - rank / 2
            let firstHead = t * headCount + item % itemsPerToken * headsPerItem
            let kvHead = firstHead % headCount / group
            let position = start + t
            let first = window.map { max(0, position - $0 + 1) } ?? 0
            let kBase = UnsafeRawPointer(keys + kvHead * headDim).assumingMemoryBound(to: UInt16.self)
            let vBase = UnsafeRawPointer(values + kvHead * headDim).assumingMemoryBound(to: UInt16.self)
            llk_attention_heads(q + firstHead * headDim, Int64(headsPerItem), Int64(headDim), kBase, vBase, Int64(kvDim),
                                Int64(first), Int64(position), scale, out + firstHead * headDim, partScratch)
        }
    }
}

/// Floats of scratch `causalAttention` needs.
public func attentionScratchCount(headDim: Int, group: Int, threads: Int) -> Int {
    threads * Int(llk_attention_scratch_floats(Int64(group), Int64(headDim)))
}
