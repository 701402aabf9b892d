/// Q8_K: 8-bit, super-blocks of 256, x = d * q with an f32 d, 9.125 bpw (ggml `block_q8_K`).
/// ggml uses it only as the activation format of K-quant dot products; its sums speed those up.
///
/// | offset | bytes | field                                                         |
/// |--------|-------|---------------------------------------------------------------|
/// |      0 |     4 | d: f32 scale                                                  |
/// |      4 |   256 | qs: int8 value j at j                                         |
/// |    260 |    32 | bsums: 16 int16 sums of each group of 16 values (unused here) |
enum Q8_KBlock: QuantBlock {
    static let type = GGMLType.q8_K
    static let elementCount = 256
    static let byteCount = 292

    static let scaleOffset = 0
    static let quantsOffset = 4
    static let sumsOffset = 260

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f32(at: scaleOffset)
            for j in 0..<256 {
                output[j] = d * Float(block.int8(at: quantsOffset + j))
            }
        }
    }
}
