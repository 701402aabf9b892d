/// Q8_0: 8-bit, blocks of 32, x = d * q, 8.5 bpw (ggml `block_q8_0`).
///
/// | offset | bytes | field                 |
/// |--------|-------|-----------------------|
/// |      0 |     2 | d: f16 scale          |
/// |      2 |    32 | qs: int8 value j at j |
enum Q8_0Block: QuantBlock {
    static let type = GGMLType.q8_0
    static let elementCount = 32
    static let byteCount = 34

    static let scaleOffset = 0
    static let quantsOffset = 2

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            for j in 0..<32 {
                output[j] = d * Float(block.int8(at: quantsOffset + j))
            }
        }
    }
}
