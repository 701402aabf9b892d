import Tensor

/// Everything a forward pass writes: the KV cache, scratch activations for up to `batchCapacity`
/// tokens, and the logits. Allocated once per session, so the decode loop allocates nothing.
public final class ForwardState: @unchecked Sendable {
    public let cache: KVCache
    public let pool: ThreadPool
    public let workspace = Workspace()
    /// Tokens one forward call may take.
    public let batchCapacity: Int
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

    public init(shape: ModelShape, contextSize: Int, batchCapacity: Int, logitCapacity: Int = 1, pool: ThreadPool) {
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

    /// The logits row `row` of the last forward pass.
    public func logitsRow(_ row: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logits + row * vocabularySize, count: vocabularySize)
    }
}
