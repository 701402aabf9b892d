import Foundation

/// Causal grouped-query attention of `count` new tokens over a cache of f16 keys and values.
///
/// Token t sits at position `start + t` and sees cache positions `first...start + t`, where `first`
/// is 0, or `position - window + 1` for sliding-window layers. Query head h reads kv head
/// h / (headCount / kvHeadCount). Scores and the weighted sum of values accumulate in f32.
/// Shapes: queries (count, headCount, headDim); keys, values (positions, kvHeadCount, headDim);
/// out (count, headCount, headDim); scratch: pool.threadCount × (start + count) floats.
public func causalAttention(
    queries q: UnsafePointer<Float>, count: Int, start: Int,
    keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    headCount: Int, kvHeadCount: Int, headDim: Int, scale: Float, window: Int?,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
) {
    let kvDim = kvHeadCount * headDim
    let group = headCount / kvHeadCount
    let span = start + count
    pool.parallelParts(count * headCount) { items, part in
        let scores = scratch + part * span
        for item in items {
            let t = item / headCount
            let h = item % headCount
            let position = start + t
            let first = window.map { max(0, position - $0 + 1) } ?? 0
            let qh = q + (t * headCount + h) * headDim
            let kvOffset = (h / group) * headDim
            // scores[j] = scale · q · k_j
            var maximum = -Float.infinity
            for j in first...position {
                let kj = keys + j * kvDim + kvOffset
                var dot: Float = 0
                for i in 0..<headDim { dot += qh[i] * Float(kj[i]) }
                let s = dot * scale
                scores[j] = s
                maximum = max(maximum, s)
            }
            // softmax
            var sum: Float = 0
            for j in first...position {
                let e = expf(scores[j] - maximum)
                scores[j] = e
                sum += e
            }
            // out = Σ p_j v_j
            let oh = out + (t * headCount + h) * headDim
            for i in 0..<headDim { oh[i] = 0 }
            for j in first...position {
                let p = scores[j] / sum
                let vj = values + j * kvDim + kvOffset
                for i in 0..<headDim { oh[i] += p * Float(vj[i]) }
            }
        }
    }
}
