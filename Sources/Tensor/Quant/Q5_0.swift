/// Q5_0: 5-bit, blocks of 32, x = d * (q - 16), 5.5 bpw (ggml `block_q5_0`).
///
/// | offset | bytes | field                                                                         |
/// |--------|-------|-------------------------------------------------------------------------------|
/// |      0 |     2 | d: f16 scale                                                                  |
/// |      2 |     4 | qh: bit j of this little-endian u32 is bit 4 of value j                       |
/// |      6 |    16 | qs: low 4 bits; value j (< 16) in the low nibble of qs[j], j + 16 in the high |
enum Q5_0Block: QuantBlock {
    static let type = GGMLType.q5_0
    static let elementCount = 32
    static let byteCount = 22

    static let scaleOffset = 0
    static let highBitsOffset = 2
    static let quantsOffset = 6

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            let highBits = block.uint32(at: highBitsOffset)
            for j in 0..<16 {
                let packed = UInt32(block.byte(at: quantsOffset + j))
                let low = (packed & 0x0F) | ((highBits >> j) & 1) << 4
                let high = (packed >> 4) | ((highBits >> (j + 16)) & 1) << 4
                output[j] = d * Float(Int32(low) - 16)
                output[j + 16] = d * Float(Int32(high) - 16)
            }
        }
    }
}
