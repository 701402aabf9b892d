/// Conversions from the 16-bit float formats ggml stores (IEEE half `F16`, bfloat16 `BF16`) to `Float`.
///
/// Both widenings are exact: every f16 and every bf16 value is a Float. They work on raw bit
/// patterns so they need neither Swift's `Float16` (unavailable on Intel macOS) nor F16C, and they
/// keep NaN payloads like numpy does. A signalling NaN stays signalling here, while F16C's
/// `vcvtph2ps` (ggml on x86) quiets it; no model stores signalling NaNs, so the fixtures avoid them.

// MARK: - Scalar

extension Float {
    /// The value of an IEEE 754 binary16 bit pattern (ggml `GGML_FP16_TO_FP32`).
    @inlinable @inline(__always)
    public init(f16Bits bits: UInt16) {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0x1F:
            // Infinity or NaN: all-ones exponent, mantissa (payload) moved to the top of Float's.
            self.init(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        case 0:
            // Zero or subnormal: mantissa * 2^-24. Exact in Float, whose range is much wider.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        default:
            // Normal: rebias the exponent from 15 to 127.
            self.init(bitPattern: sign | (exponent + (127 - 15)) << 23 | mantissa << 13)
        }
    }

    /// The value of a bfloat16 bit pattern: the top half of a Float's bits (ggml `GGML_BF16_TO_FP32`).
    @inlinable @inline(__always)
    public init(bf16Bits bits: UInt16) {
        self.init(bitPattern: UInt32(bits) << 16)
    }
}

// MARK: - Bulk

/// Converts `count` little-endian f16 values at `source` (any alignment) into `destination`.
public func convertF16ToF32(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
    for index in 0..<count {
        let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
        destination[index] = Float(f16Bits: bits)
    }
}

/// Converts `count` little-endian bf16 values at `source` (any alignment) into `destination`.
public func convertBF16ToF32(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
    for index in 0..<count {
        let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
        destination[index] = Float(bf16Bits: bits)
    }
}
