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
/// out (count, headCount, headDim); scratch: `attentionScratchCount(headDim:threads:)` floats.
public func causalAttention(
    queries q: UnsafePointer<Float>, count: Int, start: Int,
    keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    headCount: Int, kvHeadCount: Int, headDim: Int, scale: Float, window: Int?,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
) {
    let kvDim = kvHeadCount * headDim
    let group = headCount / kvHeadCount
    pool.parallelParts(count * headCount) { items, part in
        let qf16 = scratch + part * 2 * headDim  // (headDim) the query, rounded to f16
        let acc = UnsafeMutableRawPointer(qf16 + headDim).assumingMemoryBound(to: Float16.self)  // (headDim) Σ p_j v_j
        for item in items {
            let t = item / headCount
            let h = item % headCount
            let position = start + t
            let first = window.map { max(0, position - $0 + 1) } ?? 0
            let qh = q + (t * headCount + h) * headDim
            let kvOffset = (h / group) * headDim
            let oh = out + (t * headCount + h) * headDim
            let kBase = UnsafeRawPointer(keys + kvOffset).assumingMemoryBound(to: UInt16.self)
            let vBase = UnsafeRawPointer(values + kvOffset).assumingMemoryBound(to: UInt16.self)
            llk_attention_head(qh, Int64(headDim), kBase, vBase, Int64(kvDim), Int64(first), Int64(position), scale, oh, qf16,
                               UnsafeMutableRawPointer(acc).assumingMemoryBound(to: UInt16.self))
        }
    }
}

/// Floats of scratch `causalAttention` needs.
public func attentionScratchCount(headDim: Int, threads: Int) -> Int { threads * 2 * headDim }
