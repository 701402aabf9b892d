import CBLAS
import CKernels

/// A weight matrix in its stored (usually quantized) form, read in place from the model's mapping:
/// `rows` output features, each a row of `columns` input features (ggml's ne[1] × ne[0]).
///
/// Products are computed the way ggml computes them: activations are quantized to 8-bit blocks (F16 weights:
/// rounded to f16) and multiplied with CKernels' kernels where a kernel exists; other types are dequantized
/// tile by tile and multiplied with sgemm.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let data: UnsafeRawPointer
    /// How the rows are laid out at `data`: 1, ggml's layout (the file's); 8, interleaved block by block
    /// in groups of 8 rows (`interleaved()`), so that the decode kernels read one linear stream.
    public let rowGroup: Int
    /// The type's record in CKernels' type table, looked up once: which kernels and paths exist for it.
    private let traits: UnsafePointer<llk_type_traits>
    /// Owns `data` when it is not the model file's mapping.
    private let storage: OwnedBytes?

    /// `bytes` must hold exactly rows × columns elements of `type`; checked by the caller's loader.
    public init(type: GGMLType, rows: Int, columns: Int, bytes: UnsafeRawBufferPointer) {
        precondition(columns % type.blockSize == 0, "row length \(columns) is not a whole number of \(type.name) blocks")
        let rowBytes = (columns / type.blockSize) * type.bytesPerBlock
        precondition(bytes.count == rowBytes * rows && bytes.baseAddress != nil, "weight bytes do not match the shape")
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.data = bytes.baseAddress.unsafelyUnwrapped
        self.rowGroup = 1
        self.traits = type.traits
        self.storage = nil
    }

    private init(_ matrix: WeightMatrix, rowGroup: Int, storage: OwnedBytes) {
        type = matrix.type
        rows = matrix.rows
        columns = matrix.columns
        rowBytes = matrix.rowBytes
        data = UnsafeRawPointer(storage.pointer)
        self.rowGroup = rowGroup
        traits = matrix.traits
        self.storage = storage
    }

    private init(_ matrix: WeightMatrix, rows range: Range<Int>) {
        type = matrix.type
        rows = range.count
        columns = matrix.columns
        rowBytes = matrix.rowBytes
        data = matrix.data + range.lowerBound * matrix.rowBytes
        rowGroup = matrix.rowGroup
        traits = matrix.traits
        storage = matrix.storage
    }

    /// Rows `range` of this matrix, in place (no copy): the parts of a fused tensor (Phi-3's attn_qkv and its
    /// gate-and-up ffn_up). Nil when the range splits a group of interleaved rows.
    public func rows(_ range: Range<Int>) -> WeightMatrix? {
        guard range.lowerBound >= 0, range.upperBound <= rows, !range.isEmpty,
              range.lowerBound % rowGroup == 0, range.count % rowGroup == 0 else { return nil }
        return WeightMatrix(self, rows: range)
    }

    /// This matrix with its rows interleaved by 8 in memory of its own, when its type has kernels for that
    /// layout (Q4_K, Q6_K: llama.cpp also repacks those for its CPU kernels) and its rows come in whole
    /// groups; otherwise nil. The products give the same bits in either layout.
    public func interleaved() -> WeightMatrix? {
        guard rowGroup == 1, rows % 8 == 0, traits.pointee.rows8.1 != nil, llk_best_isa() >= 1 else { return nil }
        let storage = OwnedBytes(count: rows * rowBytes)
        llk_interleave_rows(Int32(type.rawValue), data, rowBytes, Int64(rows), storage.pointer)
        return WeightMatrix(self, rowGroup: 8, storage: storage)
    }

    /// Whether CKernels multiplies this type with integer kernels (at least its scalar reference).
    private var hasIntegerKernel: Bool { traits.pointee.activation != 0 }

    /// Whether the prefill GEMM runs this type at the calling thread's ISA level (llk_gemm_available).
    private var hasGEMM: Bool { traits.pointee.gemm_isa > 0 && llk_current_isa() >= traits.pointee.gemm_isa }

    /// Dequantizes row `row` into `y[0..<columns]`.
    public func dequantizeRow(_ row: Int, into y: UnsafeMutablePointer<Float>) {
        let start = data + (row / rowGroup) * rowGroup * rowBytes + (row % rowGroup) * type.bytesPerBlock
        for block in 0..<(columns / type.blockSize) {
            type.dequantize(UnsafeRawBufferPointer(start: start + block * rowGroup * type.bytesPerBlock, count: type.bytesPerBlock),
                            count: type.blockSize, into: y + block * type.blockSize)
        }
    }

    /// y[0..<rows] = W · x, for one activation vector `x[0..<columns]` (decode).
    public func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pool: ThreadPool, workspace: Workspace) {
        multiply(x, count: 1, into: y, pool: pool, workspace: workspace)
    }

    /// Y = X · Wᵀ: for `count` activation rows X[t, 0..<columns], writes Y[t, 0..<rows] (row stride `rows`).
    /// With `rowwise`, every row of Y gets the bits a product of that row alone would give (the decode
    /// kernels' arithmetic, each weight block still read once for up to four rows), instead of the batched
    /// GEMM's; speculative decoding verifies drafts this way, so that its output equals plain decoding's.
    public func multiply(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, pool: ThreadPool, workspace: Workspace,
                         rowwise: Bool = false) {
        if rowwise && count > 1 && !batchedRowsEqualSingleRows {
            if takesIntegerKernels(count: count, rowwise: true) {
                multiplyByIntegerKernels(x, count: count, into: y, pool: pool, workspace: workspace)
            } else {
                // sgemm's blocking may depend on the batch: one row at a time.
                for t in 0..<count {
                    multiply(x + t * columns, count: 1, into: y + t * rows, pool: pool, workspace: workspace)
                }
            }
        } else if type == .f32 {
            let w = data.assumingMemoryBound(to: Float.self)
            pool.parallelFor(rows, granularity: 16) { range in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(range.count), Int32(columns), 1,
                            x, Int32(columns), w + range.lowerBound * columns, Int32(columns), 0, y + range.lowerBound, Int32(rows))
            }
        } else if hasGEMM && count >= gemmMinimumColumns {
            // llama.cpp multiplies its repacked Q4_K weights by groups of four activation rows and the rest one
            // by one, in two arithmetics; the panels take the groups, the integer kernels the rest.
            let grouped = count - count % Int(traits.pointee.gemm_column_multiple)
            multiplyByPanels(x, count: grouped, into: y, pool: pool, workspace: workspace)
            if grouped < count {
                multiplyByIntegerKernels(x + grouped * columns, count: count - grouped, into: y + grouped * rows, pool: pool, workspace: workspace)
            }
        } else if hasIntegerKernel {
            multiplyByIntegerKernels(x, count: count, into: y, pool: pool, workspace: workspace)
        } else {
            multiplyByDequantizedTiles(x, count: count, into: y, pool: pool)
        }
    }

    /// The products of several matrices with one input (attention's query, key and value projections; a
    /// feed-forward block's gate and up projections). When all of them take the integer kernels for `count`
    /// rows and read the same quantized activations (Q4_K and Q6_K do), the input is quantized once and the
    /// rows of all of them are split over the pool in one dispatch: the same kernels, so the same results as
    /// separate products. Otherwise each product runs alone.
    public static func multiply(_ products: [(matrix: WeightMatrix, output: UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>,
                                count: Int, pool: ThreadPool, workspace: Workspace, rowwise: Bool = false) {
        guard let first = products.first?.matrix else { return }
        // Splits of the combined rows must fall on each matrix's row groups.
        let group = products.map(\.matrix.rowGroup).max() ?? 1
        let fused = products.allSatisfy { product in
            let matrix = product.matrix
            return matrix.takesIntegerKernels(count: count, rowwise: rowwise) && matrix.columns == first.columns && matrix.rows % group == 0
                && llk_activation_shared(Int32(matrix.type.rawValue), Int32(first.type.rawValue)) != 0
        }
        guard fused else {
            for product in products {
                product.matrix.multiply(x, count: count, into: product.output, pool: pool, workspace: workspace, rowwise: rowwise)
            }
            return
        }
        let (xq, activationBytes) = first.quantizeActivations(x, count: count, workspace: workspace)
        var offsets = [0]
        for product in products { offsets.append(offsets[offsets.count - 1] + product.matrix.rows) }
        pool.parallelFor(offsets[offsets.count - 1], granularity: max(4, group)) { range in
            for (index, product) in products.enumerated() {
                let lower = max(range.lowerBound, offsets[index]), upper = min(range.upperBound, offsets[index + 1])
                guard lower < upper else { continue }
                product.matrix.multiplyRows(lower - offsets[index]..<upper - offsets[index], xq: xq,
                                            activationBytes: activationBytes, count: count, into: product.output)
            }
        }
    }

    /// From this many activation rows on, the panel GEMM runs, because llama.cpp's batched arithmetic (which
    /// the GEMM reproduces) starts there: its repacked Q4_K kernel takes groups of 4, its tiled K-quant matmul
    /// batches of 8. For the 32-element formats both paths give the same bits, and the faster one runs.
    private var gemmMinimumColumns: Int { Int(llk_gemm_min_columns(Int32(type.rawValue))) }

    /// Whether each row of a batched product has the bits of that row's product alone: for the 32-element
    /// formats the panel GEMM and the integer kernels give the same bits, and the integer kernels keep each
    /// (row, column) sum apart. The K-quants' panels reproduce llama.cpp's batched arithmetic, not its decode's.
    private var batchedRowsEqualSingleRows: Bool { hasIntegerKernel && type.blockSize == 32 }

    /// Whether `count` activation rows take the integer kernels (decode, batches below the panel GEMM, and
    /// `rowwise` batches of the types whose panels round differently).
    private func takesIntegerKernels(count: Int, rowwise: Bool = false) -> Bool {
        type != .f32 && hasIntegerKernel && ((rowwise && !batchedRowsEqualSingleRows) || !(hasGEMM && count >= gemmMinimumColumns))
    }

    /// Decode and small batches: activations quantized to ggml's blocks, rows split over the pool, integer
    /// dot products of llk_matvec / llk_matmul.
    private func multiplyByIntegerKernels(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>,
                                          pool: ThreadPool, workspace: Workspace) {
        let (xq, activationBytes) = quantizeActivations(x, count: count, workspace: workspace)
        pool.parallelFor(rows, granularity: max(4, rowGroup)) { range in
            multiplyRows(range, xq: xq, activationBytes: activationBytes, count: count, into: y)
        }
    }

    /// `count` activation rows quantized for this matrix's kernels, in the workspace, one after another.
    private func quantizeActivations(_ x: UnsafePointer<Float>, count: Int, workspace: Workspace) -> (UnsafeMutableRawPointer, Int) {
        let ggmlType = Int32(type.rawValue)
        let activationBytes = llk_activation_bytes(ggmlType, Int64(columns))
        let xq = workspace.buffer(bytes: activationBytes * count)
        for t in 0..<count { llk_quantize_activation(ggmlType, x + t * columns, xq + t * activationBytes, Int64(columns)) }
        return (xq, activationBytes)
    }

    /// Y[t, r] for the rows `range` (whole row groups, except at the end) of this matrix, from quantized activations.
    private func multiplyRows(_ range: Range<Int>, xq: UnsafeMutableRawPointer, activationBytes: Int, count: Int,
                              into y: UnsafeMutablePointer<Float>) {
        let ggmlType = Int32(type.rawValue)
        if count == 1 {
            llk_matvec(ggmlType, data, rowBytes, Int32(rowGroup), xq, Int64(columns), y + range.lowerBound,
                       Int64(range.lowerBound), Int64(range.upperBound))
        } else if count > 4 && rowGroup > 1 {
            // The kernels take four activation rows per pass over the weights, and interleaved rows are not tiled
            // in C: tiles of rows here keep the weights in cache while every group of four passes over them.
            let tileRows = 64
            for lower in stride(from: range.lowerBound, to: range.upperBound, by: tileRows) {
                let upper = min(range.upperBound, lower + tileRows)
                llk_matmul(ggmlType, data, rowBytes, Int32(rowGroup), xq, activationBytes, Int64(count), Int64(columns),
                           y + lower, Int64(rows), Int64(lower), Int64(upper))
            }
        } else {
            llk_matmul(ggmlType, data, rowBytes, Int32(rowGroup), xq, activationBytes, Int64(count), Int64(columns),
                       y + range.lowerBound, Int64(rows), Int64(range.lowerBound), Int64(range.upperBound))
        }
    }

    /// Rows of unpacked weights each thread keeps in its scratch while all panels pass over them.
    static let gemmTileRows = 32

    /// The prefill path: activations quantized as for llk_matmul, repacked into 16-column panels, and
    /// multiplied with tiles of unpacked weight rows (CKernels/gemm.c).
    private func multiplyByPanels(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>,
                                  pool: ThreadPool, workspace: Workspace) {
        let ggmlType = Int32(type.rawValue)
        let n = Int64(columns)
        let activationBytes = llk_activation_bytes(ggmlType, n)
        let quantizedBytes = (activationBytes * count + 63) & ~63
        let panelBytes = llk_gemm_panel_bytes(ggmlType, Int64(count), n)
        let panelStride = llk_gemm_panel_bytes(ggmlType, 16, n)
        let buffer = workspace.buffer(bytes: quantizedBytes + panelBytes)
        let xq = buffer
        let panels = buffer + quantizedBytes
        let panelCount = (count + 15) / 16
        pool.parallelFor(panelCount) { range in
            for panel in range {
                let first = panel * 16
                let width = min(16, count - first)
                for t in first..<(first + width) {
                    llk_quantize_activation(ggmlType, x + t * columns, xq + t * activationBytes, n)
                }
                llk_gemm_pack(ggmlType, xq + first * activationBytes, activationBytes, Int64(width), n, panels + panel * panelStride)
            }
        }
        let scratchBytes = llk_gemm_scratch_bytes(ggmlType, n, Int64(Self.gemmTileRows))
        workspace.reserveParts(pool.threadCount, bytes: scratchBytes)
        pool.parallelParts(rows, granularity: 16) { range, part in
            llk_gemm(ggmlType, data, rowBytes, Int32(rowGroup), panels, Int64(count), n, y + range.lowerBound, Int64(rows),
                     Int64(range.lowerBound), Int64(range.upperBound), workspace.part(part).buffer(bytes: scratchBytes), scratchBytes)
        }
    }

    /// The generic path: each thread dequantizes tiles of rows to f32 and multiplies them with sgemm.
    private func multiplyByDequantizedTiles(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let tileRows = 64
        pool.parallelFor(rows, granularity: tileRows) { range in
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * columns)
            defer { tile.deallocate() }
            var start = range.lowerBound
            while start < range.upperBound {
                let n = min(tileRows, range.upperBound - start)
                for r in 0..<n { dequantizeRow(start + r, into: tile + r * columns) }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(n), Int32(columns), 1,
                            x, Int32(columns), tile, Int32(columns), 0, y + start, Int32(rows))
                start += n
            }
        }
    }
}

/// Memory allocated for a weight matrix (64-byte aligned), freed with the last matrix that uses it.
private final class OwnedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(count: Int) { pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64) }
    deinit { pointer.deallocate() }
}

/// OpenBLAS runs single-threaded inside our pool's threads, so that the two never oversubscribe the cores.
public func configureBLASThreads() {
    openblas_set_num_threads(1)
}
