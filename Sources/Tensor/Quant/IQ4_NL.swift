/// IQ4_NL: 4-bit non-linear, blocks of 32, x = d * v[q] with v the 16 values of `values`, 4.5 bpw
/// (ggml `block_iq4_nl`).
///
/// | offset | bytes | field                                                                        |
/// |--------|-------|------------------------------------------------------------------------------|
/// |      0 |     2 | d: f16 scale                                                                 |
/// |      2 |    16 | qs: index of value j (< 16) in the low nibble of qs[j], of j + 16 in the high |
enum IQ4_NLBlock: QuantBlock {
    static let type = GGMLType.iq4_nl
    static let elementCount = 32
    static let byteCount = 18

    static let scaleOffset = 0
    static let quantsOffset = 2

    /// The values a 4-bit index selects (ggml `kvalues_iq4nl`), shared with IQ4_XS.
    static let values: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { values in
            for blockIndex in 0..<blockCount {
                let block = source + blockIndex * byteCount
                let output = destination + blockIndex * elementCount
                let d = block.f16(at: scaleOffset)
                for j in 0..<16 {
                    let packed = block.byte(at: quantsOffset + j)
                    output[j] = d * Float(values[Int(packed & 0x0F)])
                    output[j + 16] = d * Float(values[Int(packed >> 4)])
                }
            }
        }
    }
}
