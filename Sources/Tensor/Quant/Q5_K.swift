/// Q5_K: 5-bit, super-blocks of 256 = 8 sub-blocks of 32, x = a * q - b with 6-bit a and b per
/// sub-block scaled by the f16 d and dmin, 5.5 bpw (ggml `block_q5_K`).
///
/// | offset | bytes | field                                                                 |
/// |--------|-------|-----------------------------------------------------------------------|
/// |      0 |     2 | d: f16 super-block scale of the scales                                |
/// |      2 |     2 | dmin: f16 super-block scale of the minimums                           |
/// |      4 |    12 | scales: packed as in Q4_K (`Q4_KBlock.scaleAndMinimum`)               |
/// |     16 |    32 | qh: bit 4 of value e is bit e / 32 of qh[e % 32]                      |
/// |     48 |   128 | qs: low 4 bits; value e = 64 c + 32 n + l is nibble n of qs[32 c + l] |
enum Q5_KBlock: QuantBlock {
    static let type = GGMLType.q5_K
    static let elementCount = 256
    static let byteCount = 176

    static let scaleOffset = 0
    static let minimumScaleOffset = 2
    static let scalesOffset = 4
    static let highBitsOffset = 16
    static let quantsOffset = 48

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            let dmin = block.f16(at: minimumScaleOffset)
            for subBlock in 0..<8 {
                let (packedScale, packedMinimum) = Q4_KBlock.scaleAndMinimum(block + scalesOffset, at: subBlock)
                // Scale first, then quant, as in ggml and gguf-py (the grouping decides the sign of a zero).
                let scale = d * Float(packedScale)
                let minimum = dmin * Float(packedMinimum)
                let firstByte = quantsOffset + 32 * (subBlock / 2)
                let shift = 4 * (subBlock % 2)
                for l in 0..<32 {
                    let low = (block.byte(at: firstByte + l) >> shift) & 0x0F
                    let high = (block.byte(at: highBitsOffset + l) >> subBlock) & 1
                    output[32 * subBlock + l] = scale * Float(low | high << 4) - minimum
                }
            }
        }
    }
}
