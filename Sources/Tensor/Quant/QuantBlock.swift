/// What every block format provides: its geometry and a reference dequantizer.
///
/// A format is a caseless enum (a namespace) named after ggml's `block_*` struct. Its file documents
/// the byte layout, because blocks are read with unaligned loads at fixed offsets rather than
/// through Swift structs (ggml's structs are packed; GGUF data is only 32-byte aligned and most
/// blocks have odd sizes, so a block can start at any address).
///
/// The dequantizers are the scalar reference: they reproduce ggml's `dequantize_row_*` and
/// gguf-py's `dequantize_blocks` bit for bit, including the order of the float operations.
/// Note for faster kernels: every product here except Q8_K's is exact in Float (an f16 scale has
/// 11 significant bits, a sub-scale at most 7, a quant at most 5), so in the `x = a * q - b`
/// formats only the final add rounds and FMA gives the same bits. Grouping still matters for the
/// sign of zero: `(d * scale) * 0` is -0 for a negative scale where `d * (scale * 0)` is +0, and
/// the fixtures compare that bit too.
protocol QuantBlock {
    /// The entry of the type table this layout belongs to.
    static var type: GGMLType { get }
    /// Values per block.
    static var elementCount: Int { get }
    /// Bytes per block: the total of the layout table.
    static var byteCount: Int { get }
    /// Dequantizes `blockCount` consecutive blocks starting at `source` into
    /// `blockCount * elementCount` floats at `destination`.
    static func dequantize(_ source: UnsafeRawPointer, blockCount: Int, into destination: UnsafeMutablePointer<Float>)
}

// MARK: - Reading block fields

/// Field reads at a byte offset, at any alignment. GGUF is little-endian, so are the loads.
extension UnsafeRawPointer {
    @inline(__always)
    func byte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    func int8(at offset: Int) -> Int8 {
        load(fromByteOffset: offset, as: Int8.self)
    }

    @inline(__always)
    func uint32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// An f16 field (a scale or a minimum), widened to Float.
    @inline(__always)
    func f16(at offset: Int) -> Float {
        Float(f16Bits: UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// An f32 field.
    @inline(__always)
    func f32(at offset: Int) -> Float {
        Float(bitPattern: uint32(at: offset))
    }
}
