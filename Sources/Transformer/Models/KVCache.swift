/// Keys and values of every layer for the positions seen so far, stored as f16 like llama.cpp's
/// default cache (half the memory of f32; the rounding is the reference's too).
/// Owned by a session, never by the model.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    /// Positions the cache can hold (the context size).
    public let capacity: Int
    /// Width of one position's keys (and values) in a layer: kvHeadCount × headDim.
    public let kvDim: Int
    /// Positions filled, 0..<count.
    public var count = 0
    private let keys: UnsafeMutablePointer<Float16>  // (layer, capacity, kvDim)
    private let values: UnsafeMutablePointer<Float16>  // (layer, capacity, kvDim)

    public init(layerCount: Int, capacity: Int, kvDim: Int) {
        self.layerCount = layerCount
        self.capacity = capacity
        self.kvDim = kvDim
        keys = .allocate(capacity: layerCount * capacity * kvDim)
        values = .allocate(capacity: layerCount * capacity * kvDim)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float16>.stride }

    public func keys(layer: Int) -> UnsafeMutablePointer<Float16> { keys + layer * capacity * kvDim }
    public func values(layer: Int) -> UnsafeMutablePointer<Float16> { values + layer * capacity * kvDim }

    /// Stores `count` positions of keys and values (f32, row stride kvDim) starting at `position`.
    public func store(layer: Int, position: Int, count n: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        precondition(position >= 0 && position + n <= capacity, "KV cache overflow: position \(position + n) > \(capacity)")
        let kd = self.keys(layer: layer) + position * kvDim
        let vd = self.values(layer: layer) + position * kvDim
        for i in 0..<(n * kvDim) {
            kd[i] = Float16(k[i])
            vd[i] = Float16(v[i])
        }
    }
}
