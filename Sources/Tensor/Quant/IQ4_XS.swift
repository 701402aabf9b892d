/// IQ4_XS: 4-bit non-linear, super-blocks of 256 = 8 sub-blocks of 32, x = (d * (s - 32)) * v[q] with a
/// 6-bit s per sub-block and v the values of IQ4_NL, 4.25 bpw (ggml `block_iq4_xs`).
///
/// | offset | bytes | field                                                                            |
/// |--------|-------|----------------------------------------------------------------------------------|
/// |      0 |     2 | d: f16 super-block scale                                                         |
/// |      2 |     2 | scalesHigh: u16, bits 2j...2j+1 are the high 2 bits of s for sub-block j         |
/// |      4 |     4 | scalesLow: the low 4 bits of s for sub-block j in nibble j % 2 of byte j / 2     |
/// |      8 |   128 | qs: sub-block j at 16 j, its value l (< 16) in the low nibble of byte l, l + 16 in the high |
enum IQ4_XSBlock: QuantBlock {
    static let type = GGMLType.iq4_xs
    static let elementCount = 256
    static let byteCount = 136

    static let scaleOffset = 0
    static let scalesHighOffset = 2
    static let scalesLowOffset = 4
    static let quantsOffset = 8

    /// The 6-bit scale of sub-block `subBlock`, without its bias of 32.
    @inline(__always)
    static func subBlockScale(_ block: UnsafeRawPointer, at subBlock: Int) -> Int32 {
        let high = UInt16(block.byte(at: scalesHighOffset)) | UInt16(block.byte(at: scalesHighOffset + 1)) << 8
        let low = (block.byte(at: scalesLowOffset + subBlock / 2) >> (4 * UInt8(subBlock % 2))) & 0x0F
        return Int32(low) | Int32((high >> (2 * UInt16(subBlock))) & 3) << 4
    }

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        IQ4_NLBlock.values.withUnsafeBufferPointer { values in
            for blockIndex in 0..<blockCount {
                let block = source + blockIndex * byteCount
                let output = destination + blockIndex * elementCount
                let d = block.f16(at: scaleOffset)
                for subBlock in 0..<8 {
                    // Scale first, then value, as in ggml and gguf-py (the grouping decides the rounding).
                    let scale = d * Float(subBlockScale(block, at: subBlock) - 32)
                    let quants = quantsOffset + 16 * subBlock
                    for l in 0..<16 {
                        let packed = block.byte(at: quants + l)
                        output[32 * subBlock + l] = scale * Float(values[Int(packed & 0x0F)])
                        output[32 * subBlock + l + 16] = scale * Float(values[Int(packed >> 4)])
                    }
                }
            }
        }
    }
}
