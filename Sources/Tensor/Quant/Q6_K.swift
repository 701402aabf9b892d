/// Q6_K: 6-bit, super-blocks of 256 = 16 sub-blocks of 16, x = a * q with an 8-bit signed a per
/// sub-block scaled by the f16 d, 6.5625 bpw (ggml `block_q6_K`).
///
/// | offset | bytes | field                                                                         |
/// |--------|-------|-------------------------------------------------------------------------------|
/// |      0 |   128 | ql: low 4 bits; value e = 128 h + 64 n + m is nibble n of ql[64 h + m]        |
/// |    128 |    64 | qh: high 2 bits; value e = 128 h + 32 s + l is bits 2s...2s+1 of qh[32 h + l] |
/// |    192 |    16 | scales: int8 scale of sub-block s at s                                        |
/// |    208 |     2 | d: f16 super-block scale                                                      |
///
/// The 6-bit value is stored with a bias of 32: q = (low | high << 4) - 32.
enum Q6_KBlock: QuantBlock {
    static let type = GGMLType.q6_K
    static let elementCount = 256
    static let byteCount = 210

    static let lowBitsOffset = 0
    static let highBitsOffset = 128
    static let scalesOffset = 192
    static let scaleOffset = 208

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        for blockIndex in 0..<blockCount {
            let block = source + blockIndex * byteCount
            let output = destination + blockIndex * elementCount
            let d = block.f16(at: scaleOffset)
            for subBlock in 0..<16 {
                // `(d * scale) * q` as in ggml (`d * sc[is] * q`) and gguf-py: the grouping decides the sign of a zero.
                let scale = d * Float(block.int8(at: scalesOffset + subBlock))
                for i in 0..<16 {
                    let e = 16 * subBlock + i
                    let half = e / 128, withinHalf = e % 128
                    let lowByte = block.byte(at: lowBitsOffset + 64 * half + withinHalf % 64)
                    let low = (lowByte >> (4 * (withinHalf / 64))) & 0x0F
                    let highByte = block.byte(at: highBitsOffset + 32 * half + withinHalf % 32)
                    let high = (highByte >> (2 * (withinHalf / 32))) & 0x03
                    output[e] = scale * Float(Int32(low | high << 4) - 32)
                }
            }
        }
    }
}
