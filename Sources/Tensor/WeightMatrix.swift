import CBLAS
import CKernels

/// A weight matrix in its stored (usually quantized) form, read in place from the model's mapping:
/// `rows` output features, each a row of `columns` input features (ggml's ne[1] × ne[0]).
///
/// Products are computed the way ggml computes them: activations are quantized to 8-bit blocks and
/// multiplied with integer kernels (CKernels) where a kernel exists; other types are dequantized
/// tile by tile and multiplied with sgemm.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let data: UnsafeRawPointer

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
    }

    private var hasIntegerKernel: Bool { llk_known(Int32(type.rawValue)) != 0 }

    /// Dequantizes row `row` into `y[0..<columns]`.
    public func dequantizeRow(_ row: Int, into y: UnsafeMutablePointer<Float>) {
        type.dequantize(UnsafeRawBufferPointer(start: data + row * rowBytes, count: rowBytes), count: columns, into: y)
    }

    /// y[0..<rows] = W · x, for one activation vector `x[0..<columns]` (decode).
    public func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pool: ThreadPool, workspace: Workspace) {
        multiply(x, count: 1, into: y, pool: pool, workspace: workspace)
    }

    /// Y = X · Wᵀ: for `count` activation rows X[t, 0..<columns], writes Y[t, 0..<rows] (row stride `rows`).
    public func multiply(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, pool: ThreadPool, workspace: Workspace) {
        let ggmlType = Int32(type.rawValue)
        if type == .f32 {
            let w = data.assumingMemoryBound(to: Float.self)
            pool.parallelFor(rows, granularity: 16) { range in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(range.count), Int32(columns), 1,
                            x, Int32(columns), w + range.lowerBound * columns, Int32(columns), 0, y + range.lowerBound, Int32(rows))
            }
        } else if hasIntegerKernel {
            let activationBytes = llk_activation_bytes(ggmlType, Int64(columns))
            let xq = workspace.buffer(bytes: activationBytes * count)
            for t in 0..<count { llk_quantize_activation(ggmlType, x + t * columns, xq + t * activationBytes, Int64(columns)) }
            pool.parallelFor(rows, granularity: 4) { range in
                if count == 1 {
                    llk_matvec(ggmlType, data, rowBytes, xq, Int64(columns), y + range.lowerBound, Int64(range.lowerBound), Int64(range.upperBound))
                } else {
                    llk_matmul(ggmlType, data, rowBytes, xq, activationBytes, Int64(count), Int64(columns),
                               y + range.lowerBound, Int64(rows), Int64(range.lowerBound), Int64(range.upperBound))
                }
            }
        } else {
            multiplyByDequantizedTiles(x, count: count, into: y, pool: pool)
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

/// OpenBLAS runs single-threaded inside our pool's threads, so that the two never oversubscribe the cores.
public func configureBLASThreads() {
    openblas_set_num_threads(1)
}
