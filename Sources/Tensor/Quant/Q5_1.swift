/// Q5_1: 5-bit, blocks of 32, x = d * q + m, 6 bpw (ggml `block_q5_1`).
///
/// | offset | bytes | field                                                                         |
/// |--------|-------|-------------------------------------------------------------------------------|
/// |      0 |     2 | d: f16 scale                                                                  |
/// |      2 |     2 | m: f16 minimum                                                                |
/// |      4 |     4 | qh: bit j of this little-endian u32 is bit 4 of value j                       |
/// |      8 |    16 | qs: low 4 bits; value j (< 16) in the low nibble of qs[j], j + 16 in the high |
enum Q5_1Block: QuantBlock {
    static let type = GGMLType.q5_1
    static let elementCount = 32
    static let byteCount = 24

    static let scaleOffset = 0
    static let minimumOffset = 2
    static let highBitsOffset = 4
    static let quantsOffset = 8

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            let m = block.f16(at: minimumOffset)
            let highBits = block.uint32(at: highBitsOffset)
            for j in 0..<16 {
                let packed = UInt32(block.byte(at: quantsOffset + j))
                let low = (packed & 0x0F) | ((highBits >> j) & 1) << 4
                let high = (packed >> 4) | ((highBits >> (j + 16)) & 1) << 4
                // gguf-py computes `(d * qs) + m`. d * q is exact in Float (11-bit f16 significand
                // times a small integer), so a fused multiply-add would give the same bits.
                output[j] = d * Float(low) + m
                output[j + 16] = d * Float(high) + m
            }
        }
    }
}
