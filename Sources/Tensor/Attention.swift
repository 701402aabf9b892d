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
            for i in 0..<headDim { qf16[i] = Float(Float16(qh[i])) }
            for i in 0..<headDim { acc[i] = 0 }
            var maximum = -Float.infinity
            var sum: Float = 0
            for j in first...position {
                // s = scale · q · k_j
                let s = dotF16(qf16, keys + j * kvDim + kvOffset, count: headDim) * scale
                // acc = acc · e^(M_old − M) + v_j · e^(s − M)
                var rescale: Float = 1
                var weight: Float = 1
                if s > maximum {
                    rescale = expf(maximum - s)
                    maximum = s
                    for i in 0..<headDim { acc[i] = Float16(Float(acc[i]) * rescale) }
                } else {
                    weight = expf(s - maximum)
                }
                let vj = values + j * kvDim + kvOffset
                for i in 0..<headDim { acc[i] = Float16(Float(acc[i]).addingProduct(Float(vj[i]), weight)) }
                sum = weight.addingProduct(sum, rescale)  // fused, as GCC contracts it in ggml
            }
            let oh = out + (t * headCount + h) * headDim
            let inverse = 1 / sum
            for i in 0..<headDim { oh[i] = Float(acc[i]) * inverse }
        }
    }
}

/// q · k with llama.cpp's AVX-512 summation order (`ggml_vec_dot_f16`): four accumulators of 16 lanes
/// fed by fused multiply-adds over steps of 64, then a tree reduction. Summing in this order keeps
/// attention scores bit-identical to the reference's; `count` must be a multiple of 64, else the tail
/// is added at the end as ggml does.
@inline(__always)
func dotF16(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float16>, count: Int) -> Float {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var i = 0
    while i + 64 <= count {
        for l in 0..<16 {
            a0[l] = a0[l].addingProduct(q[i + l], Float(k[i + l]))
            a1[l] = a1[l].addingProduct(q[i + 16 + l], Float(k[i + 16 + l]))
            a2[l] = a2[l].addingProduct(q[i + 32 + l], Float(k[i + 32 + l]))
            a3[l] = a3[l].addingProduct(q[i + 48 + l], Float(k[i + 48 + l]))
        }
        i += 64
    }
    let a = (a0 + a2) + (a1 + a3)
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    let d = c.lowHalf + c.highHalf
    var sum = Double(d[0] + d[1])
    while i < count {
        sum += Double(q[i] * Float(k[i]))
        i += 1
    }
    return Float(sum)
}

/// Floats of scratch `causalAttention` needs.
public func attentionScratchCount(headDim: Int, threads: Int) -> Int { threads * 2 * headDim }
