/// Q4_K: 4-bit, super-blocks of 256 = 8 sub-blocks of 32, x = a * q - b with 6-bit a and b per
/// sub-block scaled by the f16 d and dmin, 4.5 bpw (ggml `block_q4_K`).
///
/// | offset | bytes | field                                                                     |
/// |--------|-------|---------------------------------------------------------------------------|
/// |      0 |     2 | d: f16 super-block scale of the scales                                    |
/// |      2 |     2 | dmin: f16 super-block scale of the minimums                               |
/// |      4 |    12 | scales: 8 six-bit scales and 8 six-bit minimums; see `scaleAndMinimum`    |
/// |     16 |   128 | qs: value e = 64 c + 32 n + l is nibble n (0 low, 1 high) of qs[32 c + l] |
enum Q4_KBlock: QuantBlock {
    static let type = GGMLType.q4_K
    static let elementCount = 256
    static let byteCount = 144

    static let scaleOffset = 0
    static let minimumScaleOffset = 2
    static let scalesOffset = 4
    static let quantsOffset = 16

    /// The 6-bit scale and minimum of sub-block `subBlock` from the 12 packed bytes at `scales`
    /// (ggml `get_scale_min_k4`, shared with Q5_K). Sub-blocks 0-3: low 6 bits of bytes 0-3
    /// (scale) and 4-7 (minimum). Sub-blocks 4-7: the nibbles of bytes 8-11 (scale low, minimum
    /// high) completed by the top 2 bits of bytes 0-3 (scale) and 4-7 (minimum).
    @inline(__always)
    static func scaleAndMinimum(_ scales: UnsafeRawPointer, at subBlock: Int) -> (scale: UInt8, minimum: UInt8) {
        if subBlock < 4 {
            return (scales.byte(at: subBlock) & 0x3F, scales.byte(at: subBlock + 4) & 0x3F)
        }
        let packed = scales.byte(at: subBlock + 4)
        let scale = (packed & 0x0F) | (scales.byte(at: subBlock - 4) >> 6) << 4
        let minimum = (packed >> 4) | (scales.byte(at: subBlock) >> 6) << 4
        return (scale, minimum)
    }

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            let dmin = block.f16(at: minimumScaleOffset)
            for subBlock in 0..<8 {
                let (packedScale, packedMinimum) = scaleAndMinimum(block + scalesOffset, at: subBlock)
                // Scale first, then quant, as in ggml and gguf-py (the grouping decides the sign of a zero).
                let scale = d * Float(packedScale)
                let minimum = dmin * Float(packedMinimum)
                let firstByte = quantsOffset + 32 * (subBlock / 2)
                let shift = 4 * (subBlock % 2)
                for l in 0..<32 {
                    let q = (block.byte(at: firstByte + l) >> shift) & 0x0F
                    output[32 * subBlock + l] = scale * Float(q) - minimum
                }
            }
        }
    }
}
