/// Q4_1: 4-bit, blocks of 32, x = d * q + m, 5 bpw (ggml `block_q4_1`).
///
/// | offset | bytes | field                                                             |
/// |--------|-------|-------------------------------------------------------------------|
/// |      0 |     2 | d: f16 scale                                                      |
/// |      2 |     2 | m: f16 minimum                                                    |
/// |      4 |    16 | qs: value j (< 16) in the low nibble of qs[j], j + 16 in the high |
enum Q4_1Block: QuantBlock {
    static let type = GGMLType.q4_1
    static let elementCount = 32
    static let byteCount = 20

    static let scaleOffset = 0
    static let minimumOffset = 2
    static let quantsOffset = 4

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            let m = block.f16(at: minimumOffset)
            for j in 0..<16 {
                let packed = block.byte(at: quantsOffset + j)
                // gguf-py computes `(d * qs) + m`. d * q is exact in Float (11-bit f16 significand
                // times a small integer), so a fused multiply-add would give the same bits.
                output[j] = d * Float(packed & 0x0F) + m
                output[j + 16] = d * Float(packed >> 4) + m
            }
        }
    }
}
