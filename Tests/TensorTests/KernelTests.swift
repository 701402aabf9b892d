import CKernels
import Foundation
import Tensor
import Testing
import TestSupport

// Tests of the C quantized matvec/matmul kernels (Sources/CKernels).
//
// 1. The scalar reference (ISA level 0) against a plain f32 computation done here:
//    dequantize(weights) . dequantize(activations), both dequantized in Swift from the ggml block
//    layouts. The kernels compute exactly that sum (same integers, ggml's decomposition), so the only
//    differences are f32 rounding: tolerance 1e-5 * sum|w_i * x_i|, plus, for Q4_1/Q5_1, the f16
//    rounding of the activation block sum s = f16(d * sum q) that ggml's Q8_1 stores (relative error
//    <= 2^-11 of |m * s| per block).
// 2. Every SIMD level the CPU has against the scalar reference: same integer math, only float summation
//    order differs: tolerance 1e-5 * sum|w_i * x_i|.
// 3. Activation quantization against a Swift re-implementation of ggml's x86 rules.

// MARK: - Helpers

struct QType: CustomStringConvertible, Sendable {
    let id: Int32
    let name: String
    let blockSize: Int
    let blockBytes: Int
    /// Byte offsets of the f16 scale fields inside a block.
    let f16Fields: [Int]
    var description: String { name }
}

let allTypes: [QType] = [
    QType(id: 2, name: "Q4_0", blockSize: 32, blockBytes: 18, f16Fields: [0]),
    QType(id: 3, name: "Q4_1", blockSize: 32, blockBytes: 20, f16Fields: [0, 2]),
    QType(id: 6, name: "Q5_0", blockSize: 32, blockBytes: 22, f16Fields: [0]),
    QType(id: 7, name: "Q5_1", blockSize: 32, blockBytes: 24, f16Fields: [0, 2]),
    QType(id: 8, name: "Q8_0", blockSize: 32, blockBytes: 34, f16Fields: [0]),
    QType(id: 10, name: "Q2_K", blockSize: 256, blockBytes: 84, f16Fields: [80, 82]),
    QType(id: 11, name: "Q3_K", blockSize: 256, blockBytes: 110, f16Fields: [108]),
    QType(id: 12, name: "Q4_K", blockSize: 256, blockBytes: 144, f16Fields: [0, 2]),
    QType(id: 13, name: "Q5_K", blockSize: 256, blockBytes: 176, f16Fields: [0, 2]),
    QType(id: 14, name: "Q6_K", blockSize: 256, blockBytes: 210, f16Fields: [208]),
    QType(id: 20, name: "IQ4_NL", blockSize: 32, blockBytes: 18, f16Fields: [0]),
    QType(id: 23, name: "IQ4_XS", blockSize: 256, blockBytes: 136, f16Fields: [0]),
    // Each "block" one f16 weight (kept finite and small by f16Fields).
    QType(id: 1, name: "F16", blockSize: 1, blockBytes: 2, f16Fields: [0]),
]

/// The types whose row kernels compute the scalar reference's float steps too, so give its bits
/// (quant_iq4.c: llama.cpp's IQ4_NL and IQ4_XS arithmetic on x86, written out in the references; quant_k.c: Q2_K
/// and Q3_K, whose kernels vectorize the references' integer sums; Q3_K's reference keeps llama.cpp's eight lanes).
let bitExactTypes: Set<Int32> = [10, 11, 20, 23]
/// The types whose GEMM gives the scalar reference's bits too: IQ4_NL. (IQ4_XS's and Q3_K's GEMMs have the float steps
/// of llama.cpp's tiled batch arithmetic, per super-block; SyntheticModelTests hold IQ4_XS to llama.cpp's logits.)
let gemmBitExactTypes: Set<Int32> = [20]

/// IQ4_NL's and IQ4_XS's 16 values (ggml `kvalues_iq4nl`).
let iq4Values: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

func lengths(for t: QType) -> [Int] {
    switch t.blockSize {
    case 1: [64, 100, 896, 1536, 4867]  // 100 and 4867: elements past the kernels' last whole step
    case 32: [32, 896, 1536, 4864, 8960]
    default: [256, 1536, 4864, 8960]
    }
}

@inline(__always) func f16(_ p: UnsafePointer<UInt8>, _ o: Int) -> Float {
    Float(Float16(bitPattern: UInt16(p[o]) | UInt16(p[o + 1]) << 8))
}
@inline(__always) func u32(_ p: UnsafePointer<UInt8>, _ o: Int) -> UInt32 {
    UInt32(p[o]) | UInt32(p[o + 1]) << 8 | UInt32(p[o + 2]) << 16 | UInt32(p[o + 3]) << 24
}
@inline(__always) func i8(_ p: UnsafePointer<UInt8>, _ o: Int) -> Float { Float(Int8(bitPattern: p[o])) }

/// Random valid blocks: random bytes, then small finite f16 scales of either sign.
func randomWeights(_ t: QType, rows: Int, n: Int, rng: inout SplitMix64) -> [UInt8] {
    let nb = n / t.blockSize
    var w = (0..<(rows * nb * t.blockBytes)).map { _ in rng.byte() }
    for b in 0..<(rows * nb) {
        for o in t.f16Fields {
            let mag = 0.0005 + 0.01 * rng.uniform()
            let v = Float16(rng.next() & 1 == 0 ? mag : -mag)
            w[b * t.blockBytes + o] = UInt8(v.bitPattern & 0xFF)
            w[b * t.blockBytes + o + 1] = UInt8(v.bitPattern >> 8)
        }
    }
    return w
}

func kScaleMin(_ s: UnsafePointer<UInt8>, _ j: Int) -> (Float, Float) {
    if j < 4 { return (Float(s[j] & 63), Float(s[j + 4] & 63)) }
    return (Float((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4)), Float((s[j + 4] >> 4) | ((s[j] >> 6) << 4)))
}

/// Dequantizes one weight row (written independently of the C code, from the format description).
func dequantizeRow(_ t: QType, _ w: UnsafePointer<UInt8>, n: Int) -> [Float] {
    var y = [Float](repeating: 0, count: n)
    for b in 0..<(n / t.blockSize) {
        let p = w + b * t.blockBytes
        let o = b * t.blockSize
        switch t.id {
        case 1:
            y[o] = f16(p, 0)
        case 2, 3:
            let d = f16(p, 0), m: Float = t.id == 3 ? f16(p, 2) : -8 * d
            let qs = t.id == 3 ? 4 : 2
            for j in 0..<16 {
                y[o + j] = Float(p[qs + j] & 0xF) * d + m
                y[o + j + 16] = Float(p[qs + j] >> 4) * d + m
            }
        case 6, 7:
            let d = f16(p, 0), m: Float = t.id == 7 ? f16(p, 2) : -16 * d
            let qh = u32(p, t.id == 7 ? 4 : 2), qs = t.id == 7 ? 8 : 6
            for j in 0..<16 {
                let h0 = (qh >> UInt32(j)) & 1, h1 = (qh >> UInt32(j + 16)) & 1
                y[o + j] = Float(UInt32(p[qs + j] & 0xF) | h0 << 4) * d + m
                y[o + j + 16] = Float(UInt32(p[qs + j] >> 4) | h1 << 4) * d + m
            }
        case 8:
            let d = f16(p, 0)
            for j in 0..<32 { y[o + j] = i8(p, 2 + j) * d }
        case 10:  // Q2_K
            let d = f16(p, 80), dmin = f16(p, 82)
            var e = o, isc = 0
            for half in 0..<2 {
                for shift in stride(from: 0, to: 8, by: 2) {
                    for part in 0..<2 {
                        let sc = p[isc]; isc += 1
                        for l in 0..<16 {
                            let q = (p[16 + 32 * half + 16 * part + l] >> UInt8(shift)) & 3
                            y[e] = d * Float(sc & 0xF) * Float(q) - dmin * Float(sc >> 4); e += 1
                        }
                    }
                }
            }
        case 11:  // Q3_K
            let d = f16(p, 108)
            var e = o, isc = 0
            for half in 0..<2 {
                for j in 0..<4 {
                    for part in 0..<2 {
                        let lo = isc < 8 ? Int(p[96 + isc] & 0xF) : Int(p[96 + isc - 8] >> 4)
                        let hi = Int(p[96 + 8 + isc % 4] >> UInt8(2 * (isc / 4))) & 3
                        let sc = Float((lo | hi << 4) - 32); isc += 1
                        for l in 0..<16 {
                            let li = 16 * part + l
                            let q2 = Int(p[32 + 32 * half + li] >> UInt8(2 * j)) & 3
                            let hbit = Int(p[li] >> UInt8(4 * half + j)) & 1
                            y[e] = d * sc * Float(q2 - (hbit == 1 ? 0 : 4)); e += 1
                        }
                    }
                }
            }
        case 12, 13:  // Q4_K, Q5_K
            let d = f16(p, 0), dmin = f16(p, 2)
            let qs = t.id == 12 ? 16 : 48
            for j in 0..<4 {
                let (s1, m1) = kScaleMin(p + 4, 2 * j), (s2, m2) = kScaleMin(p + 4, 2 * j + 1)
                for l in 0..<32 {
                    var q1 = Float(p[qs + 32 * j + l] & 0xF), q2 = Float(p[qs + 32 * j + l] >> 4)
                    if t.id == 13 {
                        q1 += Float((p[16 + l] >> UInt8(2 * j)) & 1) * 16
                        q2 += Float((p[16 + l] >> UInt8(2 * j + 1)) & 1) * 16
                    }
                    y[o + 64 * j + l] = d * s1 * q1 - dmin * m1
                    y[o + 64 * j + 32 + l] = d * s2 * q2 - dmin * m2
                }
            }
        case 14:  // Q6_K
            let d = f16(p, 208)
            for half in 0..<2 {
                for l in 0..<32 {
                    let ql0 = p[64 * half + l], ql1 = p[64 * half + 32 + l], qh = p[128 + 32 * half + l]
                    let q1 = Int((ql0 & 0xF) | ((qh >> 0) & 3) << 4) - 32
                    let q2 = Int((ql1 & 0xF) | ((qh >> 2) & 3) << 4) - 32
                    let q3 = Int((ql0 >> 4) | ((qh >> 4) & 3) << 4) - 32
                    let q4 = Int((ql1 >> 4) | ((qh >> 6) & 3) << 4) - 32
                    let sc = { (k: Int) in i8(p, 192 + 8 * half + k) }
                    let base = o + 128 * half
                    y[base + l] = d * sc(l / 16) * Float(q1)
                    y[base + 32 + l] = d * sc(l / 16 + 2) * Float(q2)
                    y[base + 64 + l] = d * sc(l / 16 + 4) * Float(q3)
                    y[base + 96 + l] = d * sc(l / 16 + 6) * Float(q4)
                }
            }
        case 20:  // IQ4_NL
            let d = f16(p, 0)
            for j in 0..<16 {
                y[o + j] = d * iq4Values[Int(p[2 + j] & 0xF)]
                y[o + j + 16] = d * iq4Values[Int(p[2 + j] >> 4)]
            }
        case 23:  // IQ4_XS
            let d = f16(p, 0)
            let high = Int(p[2]) | Int(p[3]) << 8
            for sub in 0..<8 {
                let scale = (Int(p[4 + sub / 2] >> UInt8(4 * (sub % 2))) & 0xF | ((high >> (2 * sub)) & 3) << 4) - 32
                for l in 0..<16 {
                    let q = p[8 + 16 * sub + l]
                    y[o + 32 * sub + l] = d * Float(scale) * iq4Values[Int(q & 0xF)]
                    y[o + 32 * sub + 16 + l] = d * Float(scale) * iq4Values[Int(q >> 4)]
                }
            }
        default:
            fatalError("type \(t.id)")
        }
    }
    return y
}

/// Dequantizes the ggml blocks at the start of a quantized activation buffer.
/// Also returns, per 32-block (Q8_1 only), |s| (the f16-stored d * sum q) for the tolerance.
func dequantizeActivation(_ t: QType, _ a: UnsafePointer<UInt8>, n: Int) -> (x: [Float], s: [Float]) {
    var x = [Float](repeating: 0, count: n)
    var s: [Float] = []
    switch llk_activation_type(t.id) {
    case 1:
        for i in 0..<n { x[i] = f16(a, 2 * i) }
    case 8:
        for b in 0..<(n / 32) {
            let d = f16(a, b * 34)
            for j in 0..<32 { x[b * 32 + j] = d * i8(a, b * 34 + 2 + j) }
        }
    case 9:
        for b in 0..<(n / 32) {
            let d = f16(a, b * 36)
            s.append(f16(a, b * 36 + 2))
            for j in 0..<32 { x[b * 32 + j] = d * i8(a, b * 36 + 4 + j) }
        }
    case 15:
        for b in 0..<(n / 256) {
            let d = Float(bitPattern: u32(a, b * 292))
            for j in 0..<256 { x[b * 256 + j] = d * i8(a, b * 292 + 4 + j) }
        }
    default:
        fatalError()
    }
    return (x, s)
}

func randomActivation(n: Int, rng: inout SplitMix64) -> [Float] {
    (0..<n).map { _ in (rng.uniform() * 2 - 1) * (rng.next() % 16 == 0 ? 8 : 1) }
}

func quantize(_ t: QType, _ x: [Float]) -> [UInt8] {
    var q = [UInt8](repeating: 0, count: llk_activation_bytes(t.id, Int64(x.count)))
    x.withUnsafeBufferPointer { xp in q.withUnsafeMutableBytes { llk_quantize_activation(t.id, xp.baseAddress, $0.baseAddress, Int64(x.count)) } }
    return q
}

/// Runs llk_matmul at an ISA level (columns stored xq_stride apart), result y[c * rows + r].
func runMatmul(_ t: QType, level: Int32, w: [UInt8], rowBytes: Int, rows: Int, n: Int, xq: [[UInt8]],
               rowBegin: Int = 0, rowGroup: Int32 = 1) -> [Float] {
    llk_force_isa(level)
    defer { llk_force_isa(-1) }
    let stride = xq[0].count
    var packed = [UInt8](); packed.reserveCapacity(stride * xq.count)
    for c in xq { packed += c }
    var y = [Float](repeating: .nan, count: rows * xq.count)
    w.withUnsafeBytes { wp in
        packed.withUnsafeBytes { ap in
            y.withUnsafeMutableBufferPointer { yp in
                if xq.count == 1 {
                    llk_matvec(t.id, wp.baseAddress, rowBytes, rowGroup, ap.baseAddress, Int64(n), yp.baseAddress,
                               Int64(rowBegin), Int64(rowBegin + rows))
                } else {
                    llk_matmul(t.id, wp.baseAddress, rowBytes, rowGroup, ap.baseAddress, stride, Int64(xq.count), Int64(n),
                               yp.baseAddress, Int64(rows), Int64(rowBegin), Int64(rowBegin + rows))
                }
            }
        }
    }
    return y
}

/// sum |w_i x_i| of each (row, column) product, y[c * rows + r]: the scale of its f32 rounding error.
func absoluteDots(_ t: QType, w: [UInt8], rowBytes: Int, rows: Int, skip: Int, n: Int, xq: [[UInt8]]) -> [Double] {
    let xd = xq.map { q in q.withUnsafeBufferPointer { dequantizeActivation(t, $0.baseAddress!, n: n).x } }
    var absDot = [Double](repeating: 0, count: rows * xq.count)
    for r in 0..<rows {
        let wd = w.withUnsafeBufferPointer { dequantizeRow(t, $0.baseAddress! + (r + skip) * rowBytes, n: n) }
        for c in 0..<xq.count {
            var a = 0.0
            for i in 0..<n { a += abs(Double(wd[i]) * Double(xd[c][i])) }
            absDot[c * rows + r] = a
        }
    }
    return absDot
}

// MARK: - Tests

@Suite(.serialized) struct KernelTests {
    /// SwiGLU: x / (1 + e^-x) · u within float rounding of the libm form, the same bits whatever the length
    /// (a tail runs through zero-padded lanes), and the limits: large negative x gives 0, large positive x · u.
    @Test func swigluMatchesTheFormulaWithItsTail() {
        var rng = SplitMix64(state: 7)
        let n = 8 * 5 + 3
        let x = (0..<n).map { _ in (rng.uniform() - 0.5) * 40 } + [-200, 200, 0]
        let u = (0..<x.count).map { _ in (rng.uniform() - 0.5) * 4 }
        var whole = x
        llk_swiglu(&whole, u, Int64(x.count))
        for i in x.indices {
            let expected = Double(x[i]) / (1 + exp(-Double(x[i]))) * Double(u[i])
            #expect(abs(Double(whole[i]) - expected) <= 1e-6 * max(1, abs(expected)), "x \(x[i])")
        }
        #expect(whole[n] == 0 && whole[n + 1] == 200 * u[n + 1] && whole[n + 2] == 0)
        var tail = Array(x[(n - 3)...])
        llk_swiglu(&tail, Array(u[(n - 3)...]), Int64(tail.count))
        #expect(tail == Array(whole[(n - 3)...]))
    }

    @Test func dispatcherReportsAnISA() {
        let best = llk_best_isa()
        #expect(best >= 1, "every machine of ours has AVX2+FMA+F16C")
        llk_force_isa(0); #expect(String(cString: llk_kernel_name()) == "scalar")
        llk_force_isa(1); #expect(String(cString: llk_kernel_name()) == "avx2")
        llk_force_isa(2); #expect(llk_current_isa() == min(2, best))
        llk_force_isa(-1); #expect(llk_current_isa() == best)
        print("llk: best ISA \(best) (\(String(cString: llk_kernel_name())))")
        for t in allTypes {
            #expect(llk_known(t.id) == 1)
            #expect(Int(llk_block_size(t.id)) == t.blockSize)
            #expect(llk_activation_type(t.id) == (t.id == 1 ? 1 : t.blockSize == 256 ? 15 : [3, 7].contains(t.id) ? 9 : 8))
        }
        #expect(llk_known(0) == 0)
        #expect(llk_supported(0) == 0 && llk_supported(10) == 1 && llk_supported(12) == 1)
    }

    @Test(arguments: allTypes)
    func scalarReferenceMatchesF32(_ t: QType) {
        var rng = SplitMix64(state: UInt64(t.id) * 7919)
        for n in lengths(for: t) {
            let rows = 5
            let rowBytes = n / t.blockSize * t.blockBytes
            let w = randomWeights(t, rows: rows, n: n, rng: &rng)
            let x = randomActivation(n: n, rng: &rng)
            let xq = quantize(t, x)
            let y = runMatmul(t, level: 0, w: w, rowBytes: rowBytes, rows: rows, n: n, xq: [xq])
            let (xd, s) = xq.withUnsafeBufferPointer { dequantizeActivation(t, $0.baseAddress!, n: n) }
            for r in 0..<rows {
                let wd = w.withUnsafeBufferPointer { dequantizeRow(t, $0.baseAddress! + r * rowBytes, n: n) }
                var dot = 0.0, absDot = 0.0
                for i in 0..<n { dot += Double(wd[i]) * Double(xd[i]); absDot += abs(Double(wd[i]) * Double(xd[i])) }
                var tol = 1e-5 * absDot + 1e-30
                if !s.isEmpty {   // Q4_1/Q5_1: m * s with s stored as f16
                    for b in 0..<(n / 32) {
                        let m = Double(f16(w.withUnsafeBufferPointer { $0.baseAddress! } + r * rowBytes + b * t.blockBytes, 2))
                        tol += abs(m * Double(s[b])) * 1.0 / 1024
                    }
                }
                #expect(abs(Double(y[r]) - dot) <= tol, "\(t) n=\(n) row \(r): \(y[r]) vs f32 \(dot) (tol \(tol))")
            }
        }
    }

    @Test(arguments: allTypes)
    func simdLevelsMatchScalar(_ t: QType) {
        var rng = SplitMix64(state: UInt64(t.id) * 104_729 + 1)
        let best = llk_best_isa()
        for n in lengths(for: t) {
            for (rows, ncols) in [(7, 1), (37, 1), (37, 2), (19, 3), (37, 4), (37, 9)] {
                let rowBytes = n / t.blockSize * t.blockBytes
                // Extra leading rows so that row_begin > 0 is exercised.
                let skip = 3
                let w = randomWeights(t, rows: rows + skip, n: n, rng: &rng)
                let xs = (0..<ncols).map { _ in randomActivation(n: n, rng: &rng) }
                let xq = xs.map { quantize(t, $0) }
                let ref = runMatmul(t, level: 0, w: w, rowBytes: rowBytes, rows: rows, n: n, xq: xq, rowBegin: skip)
                let absDot = absoluteDots(t, w: w, rowBytes: rowBytes, rows: rows, skip: skip, n: n, xq: xq)
                for level in 1...max(1, best) {
                    let y = runMatmul(t, level: level, w: w, rowBytes: rowBytes, rows: rows, n: n, xq: xq, rowBegin: skip)
                    if bitExactTypes.contains(t.id) {
                        #expect(y == ref, "\(t) level \(level) n=\(n) rows=\(rows) ncols=\(ncols): not the reference's bits")
                    }
                    for i in 0..<(rows * ncols) {
                        let tol = 1e-5 * absDot[i] + 1e-30
                        #expect(abs(Double(y[i]) - Double(ref[i])) <= tol,
                                "\(t) level \(level) n=\(n) rows=\(rows) ncols=\(ncols) [\(i % rows), \(i / rows)]: \(y[i]) vs \(ref[i])")
                    }
                }
            }
        }
    }

    /// The prefill GEMM (gemm.c) against the scalar reference, with tiles smaller than the row range
    /// (scratch for 4, 5 or 64 rows), a row range that does not start at 0, and column counts that leave
    /// partial 16-column panels.
    @Test(arguments: allTypes)
    func gemmMatchesScalar(_ t: QType) {
        llk_force_isa(-1)
        guard llk_gemm_available(t.id) != 0 else {
            // The GEMM never runs F16 or Q2_K (llk_matmul serves them), nor Q8_0/IQ4_NL/IQ4_XS without VNNI.
            #expect([1, 10].contains(t.id) || ([8, 20, 23].contains(t.id) && llk_best_isa() < 2) || llk_best_isa() == 0)
            return
        }
        var rng = SplitMix64(state: UInt64(t.id) * 7919 + 5)
        for n in lengths(for: t).prefix(3) {
            for (rows, ncols, tileRows) in [(37, 35, 4), (6, 16, 5), (64, 17, 64), (9, 1, 64)] {
                let rowBytes = n / t.blockSize * t.blockBytes
                let skip = 3
                let w = randomWeights(t, rows: rows + skip, n: n, rng: &rng)
                let xq = (0..<ncols).map { _ in quantize(t, randomActivation(n: n, rng: &rng)) }
                let ref = runMatmul(t, level: 0, w: w, rowBytes: rowBytes, rows: rows, n: n, xq: xq, rowBegin: skip)
                let stride = xq[0].count
                let packed = xq.flatMap { $0 }
                let panelBytes = llk_gemm_panel_bytes(t.id, Int64(ncols), Int64(n))
                let scratchBytes = llk_gemm_scratch_bytes(t.id, Int64(n), Int64(tileRows))
                let panels = UnsafeMutableRawPointer.allocate(byteCount: panelBytes, alignment: 64)
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
                defer { panels.deallocate(); scratch.deallocate() }
                var y = [Float](repeating: .nan, count: rows * ncols)
                packed.withUnsafeBytes { llk_gemm_pack(t.id, $0.baseAddress, stride, Int64(ncols), Int64(n), panels) }
                w.withUnsafeBytes { wp in
                    y.withUnsafeMutableBufferPointer { yp in
                        llk_gemm(t.id, wp.baseAddress, rowBytes, 1, panels, Int64(ncols), Int64(n), yp.baseAddress, Int64(rows),
                                 Int64(skip), Int64(skip + rows), scratch, scratchBytes)
                    }
                }
                let absDot = absoluteDots(t, w: w, rowBytes: rowBytes, rows: rows, skip: skip, n: n, xq: xq)
                if gemmBitExactTypes.contains(t.id) {
                    #expect(y == ref, "\(t) n=\(n) rows=\(rows) ncols=\(ncols) tile=\(tileRows): not the reference's bits")
                }
                for i in 0..<(rows * ncols) {
                    let tol = 1e-5 * absDot[i] + 1e-30
                    #expect(abs(Double(y[i]) - Double(ref[i])) <= tol,
                            "\(t) n=\(n) rows=\(rows) ncols=\(ncols) tile=\(tileRows) [\(i % rows), \(i / rows)]: \(y[i]) vs \(ref[i])")
                }
                // Every ISA level that runs the GEMM gives the same bits (same integers, same float steps).
                if llk_best_isa() >= 2 {
                    llk_force_isa(1)
                    defer { llk_force_isa(-1) }
                    if llk_gemm_available(t.id) != 0 {
                        var y1 = [Float](repeating: .nan, count: rows * ncols)
                        w.withUnsafeBytes { wp in
                            y1.withUnsafeMutableBufferPointer { yp in
                                llk_gemm(t.id, wp.baseAddress, rowBytes, 1, panels, Int64(ncols), Int64(n), yp.baseAddress, Int64(rows),
                                         Int64(skip), Int64(skip + rows), scratch, scratchBytes)
                            }
                        }
                        #expect(y1 == y, "\(t) n=\(n) rows=\(rows) ncols=\(ncols): the AVX2 GEMM differs in bits")
                    }
                }
                // The 32-element types keep ggml's lane-by-lane float arithmetic: the same bits as llk_matmul.
                if t.blockSize == 32 {
                    let simd = runMatmul(t, level: llk_best_isa(), w: w, rowBytes: rowBytes, rows: rows, n: n, xq: xq, rowBegin: skip)
                    #expect(y == simd, "\(t) n=\(n) rows=\(rows) ncols=\(ncols): GEMM and llk_matmul differ in bits")
                }
            }
        }
    }

    /// Rows interleaved by 8 (the layout models use for Q4_K and Q6_K) give the same bits as ggml's layout, at
    /// every ISA level (the scalar level gathers each row), for 1 to 5 columns, whole groups and a range that
    /// splits groups; in the prefill GEMM; and row by row through WeightMatrix.dequantizeRow.
    @Test(arguments: [allTypes[7], allTypes[9]])
    func interleavedRowsGiveTheSameBits(_ t: QType) throws {
        #expect(llk_interleave_supported(t.id) != 0)
        #expect(llk_interleave_supported(allTypes[0].id) == 0)
        var rng = SplitMix64(state: UInt64(t.id) * 31 + 7)
        for n in [256, 1536] {
            let rows = 24
            let rowBytes = n / t.blockSize * t.blockBytes
            let w = randomWeights(t, rows: rows, n: n, rng: &rng)
            var wi = [UInt8](repeating: 0, count: w.count)
            w.withUnsafeBytes { src in wi.withUnsafeMutableBytes { llk_interleave_rows(t.id, src.baseAddress, rowBytes, Int64(rows), $0.baseAddress) } }
            let moved = wi != w
            #expect(moved == (n > t.blockSize), "one block per row: nothing moves; more: rows interleave")
            for ncols in 1...5 {
                let xq = (0..<ncols).map { _ in quantize(t, randomActivation(n: n, rng: &rng)) }
                for level in 0...llk_best_isa() {
                    for (begin, count) in [(0, rows), (8, 16), (3, 10)] {
                        let plain = runMatmul(t, level: level, w: w, rowBytes: rowBytes, rows: count, n: n, xq: xq, rowBegin: begin)
                        let grouped = runMatmul(t, level: level, w: wi, rowBytes: rowBytes, rows: count, n: n, xq: xq,
                                                rowBegin: begin, rowGroup: 8)
                        #expect(grouped == plain, "\(t) n=\(n) ncols=\(ncols) level \(level) rows \(begin)..<\(begin + count)")
                    }
                }
            }
            if llk_gemm_available(t.id) != 0 {
                let ncols = 19
                let xq = (0..<ncols).map { _ in quantize(t, randomActivation(n: n, rng: &rng)) }
                let packed = xq.flatMap { $0 }
                let panels = UnsafeMutableRawPointer.allocate(byteCount: llk_gemm_panel_bytes(t.id, Int64(ncols), Int64(n)), alignment: 64)
                let scratchBytes = llk_gemm_scratch_bytes(t.id, Int64(n), 8)
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
                defer { panels.deallocate(); scratch.deallocate() }
                packed.withUnsafeBytes { llk_gemm_pack(t.id, $0.baseAddress, xq[0].count, Int64(ncols), Int64(n), panels) }
                func gemm(_ weights: [UInt8], group: Int32) -> [Float] {
                    var y = [Float](repeating: .nan, count: 13 * ncols)
                    weights.withUnsafeBytes { wp in
                        y.withUnsafeMutableBufferPointer { yp in
                            llk_gemm(t.id, wp.baseAddress, rowBytes, group, panels, Int64(ncols), Int64(n), yp.baseAddress, 13,
                                     5, 18, scratch, scratchBytes)
                        }
                    }
                    return y
                }
                #expect(gemm(wi, group: 8) == gemm(w, group: 1), "\(t) n=\(n): GEMM over interleaved rows")
            }
            let type = try #require(GGMLType(rawValue: UInt32(t.id)))
            try w.withUnsafeBytes { bytes in
                let matrix = WeightMatrix(type: type, rows: rows, columns: n, bytes: bytes)
                let interleaved = try #require(matrix.interleaved())
                #expect(interleaved.rowGroup == 8 && matrix.rowGroup == 1)
                var a = [Float](repeating: 0, count: n), b = [Float](repeating: 1, count: n)
                for row in [0, 5, 8, 23] {
                    a.withUnsafeMutableBufferPointer { matrix.dequantizeRow(row, into: $0.baseAddress!) }
                    b.withUnsafeMutableBufferPointer { interleaved.dequantizeRow(row, into: $0.baseAddress!) }
                    #expect(a == b, "\(t) n=\(n) row \(row)")
                }
            }
        }
    }

    /// Each activation column of a batched product gets the bits of its product alone, as batched decoding needs:
    /// at every SIMD level, for 2 to 16 columns (one to four passes of the kernels over the weights, eight or four
    /// columns each), in ggml's layout and, where the type has it, in rows interleaved by 8.
    @Test(arguments: allTypes.filter { llk_supported($0.id) != 0 })
    func batchedColumnsKeepTheirSingleColumnBits(_ t: QType) {
        var rng = SplitMix64(state: UInt64(t.id) * 4099 + 11)
        let n = t.blockSize == 32 ? 896 : 1536
        let rows = 24
        let rowBytes = n / t.blockSize * t.blockBytes
        let w = randomWeights(t, rows: rows, n: n, rng: &rng)
        var layouts: [(weights: [UInt8], group: Int32)] = [(w, 1)]
        if llk_interleave_supported(t.id) != 0 {
            var wi = [UInt8](repeating: 0, count: w.count)
            w.withUnsafeBytes { src in wi.withUnsafeMutableBytes { llk_interleave_rows(t.id, src.baseAddress, rowBytes, Int64(rows), $0.baseAddress) } }
            layouts.append((wi, 8))
        }
        let xq = (0..<16).map { _ in quantize(t, randomActivation(n: n, rng: &rng)) }
        for level in 1...max(1, llk_best_isa()) {
            for (weights, group) in layouts {
                let alone = xq.map { runMatmul(t, level: level, w: weights, rowBytes: rowBytes, rows: rows, n: n, xq: [$0], rowGroup: group) }
                for ncols in [2, 3, 4, 5, 7, 8, 12, 16] {
                    let y = runMatmul(t, level: level, w: weights, rowBytes: rowBytes, rows: rows, n: n, xq: Array(xq.prefix(ncols)), rowGroup: group)
                    for c in 0..<ncols {
                        #expect(Array(y[(c * rows)..<((c + 1) * rows)]) == alone[c],
                                "\(t) level \(level) rows by \(group): column \(c) of \(ncols)")
                    }
                }
            }
        }
    }

    /// Products that share one input (Q, K and V; gate and up: the input quantized once, one dispatch) give the
    /// bits of separate products: interleaved Q4_K; Q4_K and Q6_K (one Q8_K activation); plain Q8_0; Q4_K with
    /// Q8_0 (different activations: separate products); Q4_0 with Q8_0 (both Q8_0 activations, but with different
    /// trailers: separate products); IQ4_NL with Q8_0 (the same Q8_0 activations and trailer) and IQ4_XS with Q6_K
    /// (one Q8_K activation); and batches of 3 (integer kernels) and 9 (panel GEMM: separate products).
    @Test(arguments: [[7, 7, 7], [7, 7, 9], [4, 4], [7, 4], [0, 4], [10, 4], [11, 9]])
    func sharedInputProductsMatchSeparateProducts(_ typeIndices: [Int]) throws {
        var rng = SplitMix64(state: 99)
        let n = 512
        let rowCounts = [40, 24, 16]
        let pool = ThreadPool(threadCount: 2)
        let workspace = Workspace()
        // The matrices keep pointers to their bytes (when not interleaved): storage that outlives them.
        let weights = typeIndices.enumerated().map { i, type in
            let bytes = randomWeights(allTypes[type], rows: rowCounts[i], n: n, rng: &rng)
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
            storage.copyBytes(from: bytes)
            return storage
        }
        defer { weights.forEach { $0.deallocate() } }
        let types = try typeIndices.map { try #require(GGMLType(rawValue: UInt32(allTypes[$0].id))) }
        for count in [1, 3, 9] {
            let x = (0..<(n * count)).map { _ in Float(rng.uniform() * 2 - 1) }
            let matrices = weights.indices.map { i in
                let plain = WeightMatrix(type: types[i], rows: rowCounts[i], columns: n, bytes: UnsafeRawBufferPointer(weights[i]))
                return plain.interleaved() ?? plain
            }
            let outputs = matrices.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.rows * count) }
            let solo = matrices.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.rows * count) }
            defer { (outputs + solo).forEach { $0.deallocate() } }
            for (matrix, output) in zip(matrices, outputs) { output.initialize(repeating: .nan, count: matrix.rows * count) }
            x.withUnsafeBufferPointer { xp in
                WeightMatrix.multiply(Array(zip(matrices, outputs)), xp.baseAddress!, count: count, pool: pool, workspace: workspace)
                for (matrix, output) in zip(matrices, solo) { matrix.multiply(xp.baseAddress!, count: count, into: output, pool: pool, workspace: workspace) }
            }
            for (i, matrix) in matrices.enumerated() {
                let shared = Array(UnsafeBufferPointer(start: outputs[i], count: matrix.rows * count))
                let separate = Array(UnsafeBufferPointer(start: solo[i], count: matrix.rows * count))
                #expect(shared == separate && !shared.contains { $0.isNaN }, "\(types) matrix \(i), \(count) column(s)")
            }
        }
    }

    /// Q8_0 / Q8_1 activation blocks as ggml's x86 backend makes them; Q8_K as quantize_row_q8_K_ref; F16 as x
    /// rounded to the nearest f16 (ties to even).
    @Test(arguments: [allTypes[0], allTypes[1], allTypes[7], allTypes[12]])
    func activationQuantizationMatchesGGML(_ t: QType) {
        var rng = SplitMix64(state: 42)
        let n = 1536
        var x = randomActivation(n: n, rng: &rng)
        for i in 0..<32 { x[i] = 0 }                  // an all-zero block
        x[32] = 127                                     // amax 127: id = 1 exactly, so ...
        for i in 33..<64 { x[i] = Float(i - 48) + 0.5 } // ... x*id = k + 0.5: ties, to even
        x[300] = -200; x[301] = 200                     // the largest magnitude with both signs: Q8_K takes the
        x[520] = 200; x[521] = -200                     // first one's sign (the vector search must find it)
        let act = llk_activation_type(t.id)
        if act == 8 {                                   // x86's conversion makes NaN and ±inf (x * 0) INT_MIN: -128
            x[640] = .nan; x[700] = .infinity; x[760] = -.infinity
        }
        let q = quantize(t, x)
        if act == 1 {
            for i in 0..<n { #expect(UInt16(q[2 * i]) | UInt16(q[2 * i + 1]) << 8 == Float16(x[i]).bitPattern, "element \(i)") }
        } else if act == 8 || act == 9 {
            let bb = act == 8 ? 34 : 36, qo = act == 8 ? 2 : 4
            for b in 0..<(n / 32) {
                let blk = Array(x[(b * 32)..<(b * 32 + 32)])
                var amax: Float = 0
                for v in blk where abs(v) > amax { amax = abs(v) }   // as fmaxf: NaN never wins
                let d = amax / 127, id: Float = amax != 0 ? 127 / amax : 0
                let qs = blk.map { v -> Int in
                    let r = (v * id).rounded(.toNearestOrEven)
                    return r.isFinite ? Int(r) : -128
                }
                #expect(q[b * bb] == UInt8(Float16(d).bitPattern & 0xFF) && q[b * bb + 1] == UInt8(Float16(d).bitPattern >> 8))
                for j in 0..<32 { #expect(Int(Int8(bitPattern: q[b * bb + qo + j])) == qs[j], "block \(b) elem \(j)") }
                if act == 9 {
                    let s = Float16(d * Float(qs.reduce(0, +)))
                    #expect(q[b * bb + 2] == UInt8(s.bitPattern & 0xFF) && q[b * bb + 3] == UInt8(s.bitPattern >> 8))
                }
            }
        } else {
            for b in 0..<(n / 256) {
                let blk = Array(x[(b * 256)..<(b * 256 + 256)])
                var amax: Float = 0, mx: Float = 0
                for v in blk where abs(v) > amax { amax = abs(v); mx = v }
                let p = b * 292
                if amax == 0 { continue }
                let iscale = -127 / mx
                let qs = blk.map { min(127, Int((iscale * $0).rounded(.toNearestOrEven))) }
                #expect(Float(bitPattern: UInt32(q[p]) | UInt32(q[p + 1]) << 8 | UInt32(q[p + 2]) << 16 | UInt32(q[p + 3]) << 24) == 1 / iscale)
                for j in 0..<256 { #expect(Int(Int8(bitPattern: q[p + 4 + j])) == qs[j]) }
                for g in 0..<16 {
                    let bs = Int(Int16(bitPattern: UInt16(q[p + 260 + 2 * g]) | UInt16(q[p + 261 + 2 * g]) << 8))
                    #expect(bs == qs[(16 * g)..<(16 * g + 16)].reduce(0, +))
                }
            }
        }
    }
}
