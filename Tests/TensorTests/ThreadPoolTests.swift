import Testing
@testable import Tensor

@Test func parallelForCoversEveryIndexOnce() {
    for threads in [1, 2, 3, 8] {
        let pool = ThreadPool(threadCount: threads)
        for count in [0, 1, 5, 64, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            pool.parallelFor(count, granularity: 4) { range in
                for i in range { hits[i] += 1 }
            }
            #expect((0..<count).allSatisfy { hits[$0] == 1 }, "threads \(threads), count \(count)")
            hits.deallocate()
        }
    }
}

@Test func firstJobRightAfterCreationCompletes() {
    // Regression: a worker that started after the first job was posted missed it, and the caller waited forever.
    for _ in 0..<200 {
        let pool = ThreadPool(threadCount: 4)
        var total = 0
        pool.parallelParts(4) { range, _ in _ = range }
        pool.parallelFor(1) { _ in total += 1 }
        #expect(total == 1)
    }
}
