/// Q4_0: 4-bit, blocks of 32, x = d * (q - 8), 4.5 bpw (ggml `block_q4_0`).
///
/// | offset | bytes | field                                                             |
/// |--------|-------|-------------------------------------------------------------------|
/// |      0 |     2 | d: f16 scale                                                      |
/// |      2 |    16 | qs: value j (< 16) in the low nibble of qs[j], j + 16 in the high |
enum Q4_0Block: QuantBlock {
    static let type = GGMLType.q4_0
    static let elementCount = 32
    static let byteCount = 18

    static let scaleOffset = 0
    static let quantsOffset = 2

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            for j in 0..<16 {
                let packed = block.byte(at: quantsOffset + j)
                output[j] = d * Float(Int32(packed & 0x0F) - 8)
                output[j + 16] = d * Float(Int32(packed >> 4) - 8)
            }
        }
    }
}
