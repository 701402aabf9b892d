import Foundation
import Tensor

/// Everything a forward pass writes: the KV cache, scratch activations for up to `batchCapacity`
/// tokens, and the logits. Allocated once per session, so the decode loop allocates nothing.
public final class ForwardState: @unchecked Sendable {
    public let cache: KVCache
    public let pool: ThreadPool
    public let workspace = Workspace()
    /// Tokens one forward call may take.
    public let batchCapacity: Int
    /// When set, a batch is computed with the decode kernels' arithmetic row by row (see
    /// `WeightMatrix.multiply(_:count:into:pool:workspace:rowwise:)`), so that each of its positions gets the
    /// logits a forward call of that token alone would give. Speculative decoding verifies drafts this way.
    public var rowwiseArithmetic = false
    /// How attention keeps its f16 sums: as llama.cpp built for this machine does, unless a test compares with another's.
    public var attentionArithmetic = AttentionArithmetic.machine
    public let vocabularySize: Int

    let x: UnsafeMutablePointer<Float>  // (batch, embedding) residual stream
    let xn: UnsafeMutablePointer<Float>  // (batch, embedding) normalized input of a block
    let projection: UnsafeMutablePointer<Float>  // (batch, embedding) a block's output
    let q: UnsafeMutablePointer<Float>  // (batch, heads·headDim)
    let k: UnsafeMutablePointer<Float>  // (batch, kvHeads·headDim)
    let v: UnsafeMutablePointer<Float>  // (batch, kvHeads·headDim)
    let attention: UnsafeMutablePointer<Float>  // (batch, heads·headDim)
    let gate: UnsafeMutablePointer<Float>  // (batch, feedForward)
    let up: UnsafeMutablePointer<Float>  // (batch, feedForward)
    let scores: UnsafeMutablePointer<Float>  // attention scratch, see attentionScratchCount
    /// Rows of logits one forward pass may produce (`LogitRows.all` needs the whole batch).
    public let logitCapacity: Int
    /// (logitCapacity, vocabulary): logits of the rows a forward pass was asked for.
    public let logits: UnsafeMutablePointer<Float>
    private var allocations: [UnsafeMutablePointer<Float>] = []

    /// Throws `memoryExceeded` before allocating anything when the state would not fit in `availableMemory`
    /// (a hostile or mistaken file, or too large a context, must not end in a failed allocation).
    public init(shape: ModelShape, contextSize: Int, batchCapacity: Int, logitCapacity: Int = 1, pool: ThreadPool,
                availableMemory: Int = ForwardState.physicalMemory) throws(GenerationError) {
        try Self.checkMemory(shape: shape, contextSize: contextSize, batchCapacity: batchCapacity, logitCapacity: max(1, logitCapacity),
                             threads: pool.threadCount, available: availableMemory)
        cache = KVCache(layerCount: shape.layerCount, capacity: contextSize, kvDim: shape.kvDim)
        self.pool = pool
        self.batchCapacity = batchCapacity
        vocabularySize = shape.vocabularySize
        self.logitCapacity = max(1, logitCapacity)
        var allocations: [UnsafeMutablePointer<Float>] = []
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            pointer.initialize(repeating: 0, count: max(count, 1))
            allocations.append(pointer)
            return pointer
        }
        x = buffer(batchCapacity * shape.embeddingSize)
        xn = buffer(batchCapacity * shape.embeddingSize)
        projection = buffer(batchCapacity * shape.embeddingSize)
        q = buffer(batchCapacity * shape.queryDim)
        k = buffer(batchCapacity * shape.kvDim)
        v = buffer(batchCapacity * shape.kvDim)
        attention = buffer(batchCapacity * shape.queryDim)
        gate = buffer(batchCapacity * shape.feedForwardSize)
        up = buffer(batchCapacity * shape.feedForwardSize)
        scores = buffer(attentionScratchCount(headDim: shape.headDim, group: shape.headCount / shape.kvHeadCount, threads: pool.threadCount))
        logits = buffer(self.logitCapacity * shape.vocabularySize)
        self.allocations = allocations
    }

    deinit { allocations.forEach { $0.deallocate() } }

    /// This machine's memory in bytes.
    public static var physicalMemory: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The buffers `init` allocates, each as the factors of its size in bytes, named after the GGUF keys
    /// they come from; the total must fit in `available`, every product in `Int`.
    static func checkMemory(shape: ModelShape, contextSize: Int, batchCapacity: Int, logitCapacity: Int, threads: Int,
                            available: Int) throws(GenerationError) {
        let arch = shape.architecture
        let (float16, float32) = (MemoryLayout<Float16>.stride, MemoryLayout<Float>.stride)
        let buffers: [(name: String, factors: [(String, Int)])] = [
            ("the KV cache", [("\(arch).block_count", shape.layerCount), ("context", contextSize),
                              ("\(arch).attention.head_count_kv", shape.kvHeadCount), ("\(arch).attention.key_length", shape.headDim),
                              ("keys and values", 2), ("bytes", float16)]),
            ("the feed-forward scratch", [("batch", batchCapacity), ("\(arch).feed_forward_length", shape.feedForwardSize),
                                          ("gate and up", 2), ("bytes", float32)]),
            ("the query scratch", [("batch", batchCapacity), ("\(arch).attention.head_count", shape.headCount),
                                   ("\(arch).attention.key_length", shape.headDim), ("queries and outputs", 2), ("bytes", float32)]),
            ("the key and value scratch", [("batch", batchCapacity), ("\(arch).attention.head_count_kv", shape.kvHeadCount),
                                           ("\(arch).attention.key_length", shape.headDim), ("keys and values", 2), ("bytes", float32)]),
            ("the residual scratch", [("batch", batchCapacity), ("\(arch).embedding_length", shape.embeddingSize), ("buffers", 3),
                                      ("bytes", float32)]),
            ("the logits", [("rows", logitCapacity), ("vocabulary", shape.vocabularySize), ("bytes", float32)]),
            ("the attention scores", [("floats", attentionScratchCount(headDim: shape.headDim, group: shape.headCount / shape.kvHeadCount,
                                                                       threads: threads)), ("bytes", float32)]),
        ]
        // nil: the product overflows Int.
        let sizes = buffers.map { buffer in (buffer, buffer.factors.reduce(Int?(1)) { bytes, factor in
            bytes.flatMap { $0.multipliedReportingOverflow(by: factor.1) }.flatMap { $0.overflow ? nil : $0.partialValue }
        }) }
        let total = sizes.reduce(Int?(0)) { sum, size in
            guard let sum, let bytes = size.1 else { return nil }
            let (partial, overflow) = sum.addingReportingOverflow(bytes)
            return overflow ? nil : partial
        }
        if let total, total <= available { return }
        guard let ((name, factors), bytes) = sizes.max(by: { ($0.1 ?? .max) < ($1.1 ?? .max) }) else { return }
        let formula = factors.map { "\($0.0) \($0.1)" }.joined(separator: " × ")
        throw .memoryExceeded(what: "\(name) (\(formula))", bytes: bytes, available: available)
    }

    /// The logits row `row` of the last forward pass.
    public func logitsRow(_ row: Int) -> UnsafeBufferPointer<Float> {
        logitsRows(row..<row + 1)
    }

    /// The logits rows `rows`, one after another.
    public func logitsRows(_ rows: Range<Int>) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logits + rows.lowerBound * vocabularySize, count: rows.count * vocabularySize)
    }
}
