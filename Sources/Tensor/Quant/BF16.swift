/// BF16: bfloat16 (the top 16 bits of an f32: 8-bit exponent, 7-bit mantissa), one value per
/// "block", 16 bpw. Stored little-endian.
///
/// | offset | bytes | field           |
/// |--------|-------|-----------------|
/// |      0 |     2 | value, bfloat16 |
enum BF16Block: QuantBlock {
    static let type = GGMLType.bf16
    static let elementCount = 1
    static let byteCount = 2

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        convertBF16ToF32(source, count: blockCount, into: destination)
    }
}
