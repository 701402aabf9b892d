import CKernels

/// The ggml tensor types.
///
/// Ids follow ggml's `ggml_type`; names and block geometry come from CKernels' type table (its
/// `type_traits`). A type is a run of blocks; each block holds `blockSize` elements in `bytesPerBlock` bytes.
/// Adding a format: add its case here and its record in Sources/CKernels/traits.c, its block layout and
/// dequantization in a file of its own under `Quant/` (a `QuantBlock`), and its entry in `blockFormat`.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_xxs = 16
    case iq2_xs = 17
    case iq3_xxs = 18
    case iq1_s = 19
    case iq4_nl = 20
    case iq3_s = 21
    case iq2_s = 22
    case iq4_xs = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_m = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39

    /// This type's record in CKernels' type table (ggml's `type_traits`, Sources/CKernels/traits.c): the one
    /// place where block geometry is written down, for every case here.
    var traits: UnsafePointer<llk_type_traits> { llk_type_traits_of(Int32(rawValue)) }

    /// Elements per block (1 for plain scalar types).
    public var blockSize: Int { Int(traits.pointee.block_size) }

    /// Bytes per block.
    public var bytesPerBlock: Int { Int(traits.pointee.type_size) }

    /// The name ggml and llama.cpp print (`Q4_K`, `F16`, ...).
    public var name: String { String(cString: traits.pointee.name) }

    /// Bytes needed for `count` elements, or nil when `count` is not a whole number of blocks
    /// or the size overflows.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }
}

// MARK: - Dequantization

extension GGMLType {
    /// The block layout and reference dequantizer of this type, nil when this build has none
    /// (ggml's `type_traits[type].to_float`).
    var blockFormat: (any QuantBlock.Type)? {
        switch self {
        case .f32: F32Block.self
        case .f16: F16Block.self
        case .bf16: BF16Block.self
        case .q4_0: Q4_0Block.self
        case .q4_1: Q4_1Block.self
        case .q5_0: Q5_0Block.self
        case .q5_1: Q5_1Block.self
        case .q8_0: Q8_0Block.self
        case .q2_K: Q2_KBlock.self
        case .q3_K: Q3_KBlock.self
        case .q4_K: Q4_KBlock.self
        case .q5_K: Q5_KBlock.self
        case .q6_K: Q6_KBlock.self
        case .q8_K: Q8_KBlock.self
        case .iq4_nl: IQ4_NLBlock.self
        case .iq4_xs: IQ4_XSBlock.self
        case .q8_1, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s, .iq2_s, .iq1_m,
            .tq1_0, .tq2_0, .mxfp4, .i8, .i16, .i32, .i64, .f64:
            nil
        }
    }

    /// Whether this build can dequantize the type.
    public var canDequantize: Bool { blockFormat != nil }

    /// Dequantizes `count` elements (a whole number of blocks) starting at the first block of
    /// `source` into `destination`, bit-identically to ggml's reference `dequantize_row_*`.
    ///
    /// `source` may have any alignment. Sizes are preconditions (programmer errors): the type must
    /// be dequantizable, `count` a whole number of blocks, and `source` must hold them; nothing past
    /// those bytes is read. `destination` must have room for `count` floats.
    public func dequantize(_ source: UnsafeRawBufferPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        guard let format = blockFormat else {
            preconditionFailure("\(name) cannot be dequantized by this build")
        }
        guard let byteCount = byteCount(elements: count) else {
            preconditionFailure("\(count) elements are not a whole number of \(name) blocks of \(blockSize)")
        }
        precondition(byteCount <= source.count, "\(count) \(name) elements need \(byteCount) bytes, source has \(source.count)")
        guard count > 0, let base = source.baseAddress else { return }
        format.dequantize(base, blockCount: count / blockSize, into: destination)
    }

    /// Dequantizes row `row` of a row-major matrix of this type whose rows are `rowLength`
    /// elements (a whole number of blocks) into `rowLength` floats at `destination`.
    /// `source` starts at row 0; the same preconditions as `dequantize(_:count:into:)` apply.
    public func dequantizeRow(
        _ source: UnsafeRawBufferPointer, row: Int, rowLength: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        guard let rowByteCount = byteCount(elements: rowLength) else {
            preconditionFailure("a row of \(rowLength) elements is not a whole number of \(name) blocks of \(blockSize)")
        }
        precondition(row >= 0, "negative row \(row)")
        let (start, overflow) = row.multipliedReportingOverflow(by: rowByteCount)
        precondition(!overflow && start <= source.count - rowByteCount, "row \(row) lies past the end of the source")
        let rowBytes = UnsafeRawBufferPointer(rebasing: source[start..<(start + rowByteCount)])
        dequantize(rowBytes, count: rowLength, into: destination)
    }
}
