/// The ggml tensor types: the one table where a storage format is named and sized.
///
/// Ids and block geometry follow ggml's `ggml_type` and `type_traits` (ggml/src/ggml.c).
/// A type is a run of blocks; each block holds `blockSize` elements in `bytesPerBlock` bytes.
/// Adding a format: add its case here, its block layout and dequantization in a file of its own
/// under `Quant/` (a `QuantBlock`), and its entry in `blockFormat`.
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

    /// Elements per block (1 for plain scalar types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s,
            .iq2_s, .iq4_xs, .iq1_m, .tq1_0, .tq2_0:
            256
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .i8: 1
        case .i16: 2
        case .i32: 4
        case .i64, .f64: 8
        case .q4_0: 18  // f16 d, 16 bytes of nibbles
        case .q4_1: 20  // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: 22  // f16 d, 4 bytes of high bits, 16 bytes of nibbles
        case .q5_1: 24  // f16 d, f16 m, 4 bytes of high bits, 16 bytes of nibbles
        case .q8_0: 34  // f16 d, 32 int8
        case .q8_1: 36  // f16 d, f16 s, 32 int8
        case .q2_K: 84  // 16 scales, 64 qs, f16 d, f16 dmin
        case .q3_K: 110  // 32 hmask, 64 qs, 12 scales, f16 d
        case .q4_K: 144  // f16 d, f16 dmin, 12 scales, 128 qs
        case .q5_K: 176  // f16 d, f16 dmin, 12 scales, 32 qh, 128 qs
        case .q6_K: 210  // 128 ql, 64 qh, 16 scales, f16 d
        case .q8_K: 292  // f32 d, 256 int8, 16 int16 bsums
        case .iq2_xxs: 66
        case .iq2_xs: 74
        case .iq3_xxs: 98
        case .iq1_s: 50
        case .iq4_nl: 18
        case .iq3_s: 110
        case .iq2_s: 82
        case .iq4_xs: 136
        case .iq1_m: 56
        case .tq1_0: 54
        case .tq2_0: 66
        case .mxfp4: 17
        }
    }

    /// The name ggml and llama.cpp print (`Q4_K`, `F16`, ...).
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .f64: "F64"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .iq2_xxs: "IQ2_XXS"
        case .iq2_xs: "IQ2_XS"
        case .iq3_xxs: "IQ3_XXS"
        case .iq1_s: "IQ1_S"
        case .iq4_nl: "IQ4_NL"
        case .iq3_s: "IQ3_S"
        case .iq2_s: "IQ2_S"
        case .iq4_xs: "IQ4_XS"
        case .iq1_m: "IQ1_M"
        case .tq1_0: "TQ1_0"
        case .tq2_0: "TQ2_0"
        case .mxfp4: "MXFP4"
        }
    }

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
        case .q8_1, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq4_nl, .iq3_s, .iq2_s, .iq4_xs, .iq1_m,
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
