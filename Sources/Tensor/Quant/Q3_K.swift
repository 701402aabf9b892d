/// Q3_K: 3-bit, super-blocks of 256 = 16 sub-blocks of 16, x = a * q with a 6-bit signed a per
/// sub-block scaled by the f16 d, 3.4375 bpw (ggml `block_q3_K`).
///
/// | offset | bytes | field                                                                        |
/// |--------|-------|------------------------------------------------------------------------------|
/// |      0 |    32 | hmask: high bit of value e is bit e / 32 of hmask[e % 32]                    |
/// |     32 |    64 | qs: low 2 bits; value e = 128 h + 32 s + l is bits 2s...2s+1 of qs[32 h + l] |
/// |     96 |    12 | scales: 16 six-bit scales (biased by 32), packed; see `scale(_:at:)`         |
/// |    108 |     2 | d: f16 super-block scale                                                     |
///
/// The 3-bit value is q = low - 4 when its hmask bit is 0, and q = low when it is 1.
enum Q3_KBlock: QuantBlock {
    static let type = GGMLType.q3_K
    static let elementCount = 256
    static let byteCount = 110

    static let highMaskOffset = 0
    static let quantsOffset = 32
    static let scalesOffset = 96
    static let scaleOffset = 108

    /// The signed 6-bit scale of sub-block `subBlock`. The low 4 bits of scales 0-7 are the low
    /// nibbles of bytes 0-7, of scales 8-15 their high nibbles; the high 2 bits of scale s are
    /// bits 2(s / 4)...2(s / 4)+1 of byte 8 + s % 4.
    @inline(__always)
    static func scale(_ block: UnsafeRawPointer, at subBlock: Int) -> Int32 {
        let lowByte = block.byte(at: scalesOffset + subBlock % 8)
        let low = subBlock < 8 ? lowByte & 0x0F : lowByte >> 4
        let high = (block.byte(at: scalesOffset + 8 + subBlock % 4) >> (2 * (subBlock / 4))) & 0x03
        return Int32(low | high << 4) - 32
    }

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            for subBlock in 0..<16 {
                // Scale first, then quant, as in ggml and gguf-py (the grouping decides the sign of a zero).
                let subBlockScale = d * Float(scale(block, at: subBlock))
                for i in 0..<16 {
                    let e = 16 * subBlock + i
                    let lowByte = block.byte(at: quantsOffset + 32 * (e / 128) + e % 32)
                    let low = Int32((lowByte >> (2 * ((e % 128) / 32))) & 0x03)
                    let highBit = (block.byte(at: highMaskOffset + e % 32) >> (e / 32)) & 1
                    let q = highBit == 0 ? low - 4 : low
                    output[e] = subBlockScale * Float(q)
                }
            }
        }
    }
}
