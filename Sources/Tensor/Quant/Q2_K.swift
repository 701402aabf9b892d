/// Q2_K: 2-bit, super-blocks of 256 = 16 sub-blocks of 16, x = a * q - b with 4-bit a and b per
/// sub-block scaled by the f16 d and dmin, 2.625 bpw (ggml `block_q2_K`).
///
/// | offset | bytes | field                                                                 |
/// |--------|-------|-----------------------------------------------------------------------|
/// |      0 |    16 | scales: sub-block s has scale scales[s] & 0xF, minimum scales[s] >> 4 |
/// |     16 |    64 | qs: 2-bit values; see below                                           |
/// |     80 |     2 | d: f16 super-block scale of the scales                                |
/// |     82 |     2 | dmin: f16 super-block scale of the minimums                           |
///
/// Value index e = 128 h + 32 s + l (h < 2, s < 4, l < 32) is bits 2s...2s+1 of qs[32 h + l].
enum Q2_KBlock: QuantBlock {
    static let type = GGMLType.q2_K
    static let elementCount = 256
    static let byteCount = 84

    static let scalesOffset = 0
    static let quantsOffset = 16
    static let scaleOffset = 80
    static let minimumScaleOffset = 82

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            let dmin = block.f16(at: minimumScaleOffset)
            for subBlock in 0..<16 {
                let packedScale = block.byte(at: scalesOffset + subBlock)
                // Sub-block scale and minimum first, as in ggml and gguf-py (the grouping decides the sign of a zero).
                let scale = d * Float(packedScale & 0x0F)
                let minimum = dmin * Float(packedScale >> 4)
                let half = subBlock / 8  // which 128 values, and which 32 bytes of qs
                let shift = 2 * ((subBlock % 8) / 2)  // which 2 bits of those bytes
                let firstByte = quantsOffset + 32 * half + 16 * (subBlock % 2)
                for i in 0..<16 {
                    let q = (block.byte(at: firstByte + i) >> shift) & 0x03
                    output[16 * subBlock + i] = scale * Float(q) - minimum
                }
            }
        }
    }
}
