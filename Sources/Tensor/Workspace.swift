/// Reusable scratch memory for kernels (quantized activations, dequantized tiles), so that the decode
/// loop allocates nothing once warmed up. One per thread of work; not thread-safe.
public final class Workspace: @unchecked Sendable {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    private var parts: [Workspace] = []

    public init() {}

    deinit { storage?.deallocate() }

    /// At least `bytes` bytes, 64-byte aligned; the contents are undefined, and valid until the next call.
    public func buffer(bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity || storage == nil {
            storage?.deallocate()
            capacity = max(bytes, capacity * 2, 4096)
            storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        // Non-nil: allocated just above when missing.
        return storage.unsafelyUnwrapped
    }

    /// Private scratch for each part of a `ThreadPool.parallelParts` call: `reserveParts` before the
    /// parallel region (it may allocate), then part `i` uses only `part(i)`.
    public func reserveParts(_ count: Int, bytes: Int) {
        while parts.count < count { parts.append(Workspace()) }
        for part in parts.prefix(count) { _ = part.buffer(bytes: bytes) }
    }

    public func part(_ index: Int) -> Workspace { parts[index] }

    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        buffer(bytes: count * MemoryLayout<Float>.stride).assumingMemoryBound(to: Float.self)
    }
}
