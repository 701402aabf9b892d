import Tensor

/// Looks up a model's tensors by their GGUF names and checks their shapes, the one place where
/// a loader meets the file (like llama.cpp's `create_tensor`). It remembers what was read, so that a
/// tensor no loader asked for refuses the file rather than being silently left out of the computation.
public struct ModelWeights {
    public let gguf: GGUFFile
    private final class Names { var read: Set<String> = [] }
    private let names = Names()

    public init(gguf: GGUFFile) { self.gguf = gguf }

    private func info(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let info = gguf.tensor(named: name) else {
            throw GGUFError(path: gguf.path, field: "tensor \(name)", problem: "missing (is this file of another architecture?)")
        }
        names.read.insert(name)
        guard info.type.canDequantize else {
            throw GGUFError(path: gguf.path, field: "tensor \(name)", problem: "type \(info.type.name) is not supported by this build")
        }
        return info
    }

    public func has(_ name: String) -> Bool { gguf.tensor(named: name) != nil }

    /// A matrix of `rows` output features × `columns` inputs (GGUF dimensions [columns, rows]).
    public func matrix(_ name: String, rows: Int, columns: Int) throws(GGUFError) -> WeightMatrix {
        let info = try info(name)
        guard info.dimensions == [columns, rows] else {
            throw GGUFError(path: gguf.path, field: "tensor \(name)", problem: "shape \(info.dimensions), expected [\(columns), \(rows)]")
        }
        let bytes = gguf.data(for: info)
        let matrix = WeightMatrix(type: info.type, rows: rows, columns: columns, bytes: bytes)
        // The kernels' own layout, where one exists; the file's pages are then given back (they are read again
        // from the page cache if ever needed, e.g. for an embedding row), so memory stays at one copy.
        guard let interleaved = matrix.interleaved() else { return matrix }
        gguf.file.releasePages(bytes)
        return interleaved
    }

    /// A vector (norm weights, biases), dequantized into memory of its own (they are tiny).
    public func vector(_ name: String, count: Int) throws(GGUFError) -> [Float] {
        let info = try info(name)
        guard info.dimensions == [count] else {
            throw GGUFError(path: gguf.path, field: "tensor \(name)", problem: "shape \(info.dimensions), expected [\(count)]")
        }
        let bytes = gguf.data(for: info)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { info.type.dequantize(bytes, count: count, into: base) }
            initialized = count
        }
    }

    public func optionalVector(_ name: String, count: Int) throws(GGUFError) -> [Float]? {
        has(name) ? try vector(name, count: count) : nil
    }

    /// Throws for the first tensor of the file that was not read: a tensor this build does not use (biases,
    /// scaling factors, experts) changes the model's output, so such a file is refused, as llama.cpp refuses
    /// a file whose tensors it did not all create.
    public func requireEveryTensorRead(architecture: String) throws(GGUFError) {
        for tensor in gguf.tensors where !names.read.contains(tensor.name) {
            throw GGUFError(path: gguf.path, field: "tensor \(tensor.name)",
                            problem: "not part of a \(architecture) model as this build runs it; refusing the file rather than ignoring the tensor")
        }
    }
}
