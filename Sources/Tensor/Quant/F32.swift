/// F32: 32-bit IEEE float, one value per "block", 32 bpw. Stored little-endian.
///
/// | offset | bytes | field                |
/// |--------|-------|----------------------|
/// |      0 |     4 | value, IEEE binary32 |
enum F32Block: QuantBlock {
    static let type = GGMLType.f32
    static let elementCount = 1
    static let byteCount = 4

    /// A byte copy: keeps every bit, NaN payloads included (the host is little-endian like GGUF).
    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: blockCount * byteCount)
    }
}
