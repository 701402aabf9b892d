import CKernels
import Foundation

// Elementwise and row operations of the forward pass, on raw f32 buffers.
// Each mirrors the ggml CPU operation named in its comment, including its accumulation type,
// so that results stay close to llama.cpp's.

/// y = x / sqrt(mean(x²) + eps) * weight, for `rows` rows of `width` (ggml_rms_norm + ggml_mul;
/// ggml accumulates the sum of squares in double).
public func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                    width: Int, rows: Int = 1, epsilon: Float) {
    for row in 0..<rows {
        let xr = x + row * width
        let yr = y + row * width
        var sum: Double = 0
        for i in 0..<width { sum += Double(xr[i] * xr[i]) }
        let scale = 1 / (Float(sum / Double(width)) + epsilon).squareRoot()
        for i in 0..<width { yr[i] = xr[i] * scale * weight[i] }
    }
}

/// x += y, elementwise.
public func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] += y[i] }
}

/// x *= scale.
public func scaleInPlace(_ x: UnsafeMutablePointer<Float>, by scale: Float, count: Int) {
    for i in 0..<count { x[i] *= scale }
}

/// Adds a bias vector to each of `rows` rows.
public func addBias(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, width: Int, rows: Int) {
    for row in 0..<rows { addInPlace(x + row * width, bias, count: width) }
}

/// The activation of a gated feed-forward block: gate = act(gate) * up.
public enum GatedActivation: Sendable {
    /// SwiGLU (llama, qwen2): silu(g) = g / (1 + e^-g).
    case silu
    /// GeGLU with the tanh approximation of GELU (gemma).
    case geluTanh
}

public func gatedActivation(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int,
                            pool: ThreadPool) {
    // Prefill's activations are large enough to share; a decode step's few thousand are not worth a dispatch.
    let chunk = count >= 32_768 ? 4096 : count
    pool.parallelFor(count, granularity: chunk) { range in
        switch activation {
        case .silu:
            llk_swiglu(gate + range.lowerBound, up + range.lowerBound, Int64(range.count))
        case .geluTanh:
            let table = geluTable
            for i in range {
                let g = gate[i]
                if g <= -10 {
                    gate[i] = 0
                } else if g >= 10 {
                    gate[i] = g * up[i]
                } else {
                    gate[i] = Float(table[Int(Float16(g).bitPattern)]) * up[i]
                }
            }
        }
    }
}

/// GELU of every f16 value, rounded to f16: ggml's GeGLU (GGML_GELU_FP16) reads the same table, which is
/// why the input is rounded to f16 first.
private let geluTable: [Float16] = (0...UInt16.max).map { bits in
    let x = Float(Float16(bitPattern: bits))
    let sqrt2OverPi: Float = 0.797_884_560_802_865_4
    return Float16(0.5 * x * (1 + tanhf(sqrt2OverPi * x * (1 + 0.044715 * x * x))))
}

/// How rotary position embedding pairs the dimensions of a head.
public enum RopeStyle: Sendable {
    /// Adjacent pairs (2i, 2i+1): llama.cpp's LLAMA_ROPE_TYPE_NORM (llama).
    case interleaved
    /// Halves (i, i + d/2): LLAMA_ROPE_TYPE_NEOX (qwen2, gemma3).
    case neox
}

/// Rotates `headCount` heads of `headDim` at one position in place (ggml_rope_ext without YaRN).
/// θ_i = position · base^(-2i/d), computed by repeated multiplication in f32 as ggml does, then divided by
/// `frequencyFactors[i]` when given (Llama 3's `rope_freqs`: one divisor per rotary pair, so low frequencies
/// turn slower). Each output fuses one product and rounds the other, as the reference build's compiled code
/// does (GCC contracts `x0·cos − x1·sin` and `x0·sin + x1·cos` into FMAs); checked bit for bit against
/// llama.cpp's RoPE output for both pair styles. Without it, logits drift from position 1 on.
///
/// `rotaryDimensions` (default: all) rotates only the first dimensions of each head, pairing them among themselves
/// (Phi-4-mini rotates 96 of 128); the rest pass unchanged. `attentionFactor` multiplies the cosines and sines
/// (ggml's mscale: LongRoPE's `rope.scaling.attn_factor`); 1 leaves them as they are.
public func applyRope(_ x: UnsafeMutablePointer<Float>, headCount: Int, headDim: Int, position: Int, base: Float, style: RopeStyle,
                      frequencyFactors: UnsafePointer<Float>? = nil, rotaryDimensions: Int? = nil, attentionFactor: Float = 1) {
    let rotated = rotaryDimensions ?? headDim
    let thetaScale = powf(base, -2 / Float(rotated))
    let half = rotated / 2
    var theta = Float(position)
    for i in 0..<half {
        let angle = frequencyFactors.map { theta / $0[i] } ?? theta
        var cosine = cosf(angle)
        var sine = sinf(angle)
        if attentionFactor != 1 {
            cosine *= attentionFactor
            sine *= attentionFactor
        }
        for head in 0..<headCount {
            let h = x + head * headDim
            let (a, b) = style == .neox ? (i, i + half) : (2 * i, 2 * i + 1)
            let x0 = h[a]
            let x1 = h[b]
            h[a] = (-(x1 * sine)).addingProduct(x0, cosine)
            h[b] = (x1 * cosine).addingProduct(x0, sine)
        }
        theta *= thetaScale
    }
}

/// Index of the largest value (the first, on ties).
public func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for (i, v) in x.enumerated() where v > bestValue {
        best = i
        bestValue = v
    }
    return best
}
