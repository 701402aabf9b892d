/// F16: 16-bit IEEE half float, one value per "block", 16 bpw. Stored little-endian.
///
/// | offset | bytes | field                |
/// |--------|-------|----------------------|
/// |      0 |     2 | value, IEEE binary16 |
enum F16Block: QuantBlock {
    static let type = GGMLType.f16
    static let elementCount = 1
    static let byteCount = 2

    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        convertF16ToF32(source, count: blockCount, into: destination)
    }
}
