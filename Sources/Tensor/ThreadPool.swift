#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A persistent pool of worker threads for the ~200 matrix products of every token.
///
/// `parallelFor` splits a range evenly; the calling thread does the first part itself. Idle workers
/// spin briefly (a hand-off then costs about a microsecond) and then park on a condition variable,
/// so that a busy neighbour, or OpenBLAS's own threads, get the cores back.
public final class ThreadPool: @unchecked Sendable {
    /// Threads taking part in a `parallelFor`, the caller included.
    public let threadCount: Int

    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    // Heap-allocated: pthread objects must never move, and `&property` may pass a temporary copy.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The current job; written before `generation` is bumped, read by workers after they see the bump.
    private var job: ((Int) -> Void)?
    private var threads: [pthread_t] = []
    /// How long an idle worker spins before parking.
    private static let spinIterations = 20_000

    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for worker in 1..<self.threadCount {
            let box = Unmanaged.passRetained(WorkerStart(pool: self, index: worker))
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { argument in
                guard let argument else { return nil }
                let start = Unmanaged<WorkerStart>.fromOpaque(argument).takeRetainedValue()
                start.pool.workerLoop(index: start.index)
                return nil
            }, box.toOpaque())
            if status == 0 { threads.append(thread) } else { box.release() }
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
        for thread in threads { pthread_join(thread, nil) }
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    /// Calls `body` with disjoint, contiguous parts of `0..<count` on all threads and returns when all are done.
    /// Parts are aligned to `granularity` elements (e.g. so that rows are split on block boundaries).
    public func parallelFor(_ count: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        parallelParts(count, granularity: granularity) { range, _ in body(range) }
    }

    /// Like `parallelFor`, also passing the part's index (below `threadCount`), e.g. to pick per-thread scratch memory.
    public func parallelParts(_ count: Int, granularity: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        let participants = threads.count + 1
        guard participants > 1, count > granularity else {
            if count > 0 { body(0..<count, 0) }
            return
        }
        let units = (count + granularity - 1) / granularity
        let parts = min(participants, units)
        func part(_ index: Int) -> Range<Int> {
            let lower = min(count, units * index / parts * granularity)
            let upper = min(count, units * (index + 1) / parts * granularity)
            return lower..<upper
        }
        withoutActuallyEscaping({ (index: Int) in
            if index < parts { body(part(index), index) }
        }) { work in
            job = work
            pending.store(participants - 1, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            work(0)
            // Spin while the others finish; when one of them has lost its core (a busy machine, or
            // server slots sharing the cores), yield so that it can run instead of this loop.
            var spins = 0
            while pending.load(ordering: .sequentiallyConsistent) > 0 {
                spins += 1
                if spins >= Self.spinIterations { sched_yield() }
            }
            job = nil
        }
    }

    private func workerLoop(index: Int) {
        // Generation 0 is the pool's state at creation; a worker thread may start only after the first
        // job was posted, so it must not take the current generation as already seen.
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .sequentiallyConsistent)
            while current == seen && spins < Self.spinIterations {
                spins += 1
                current = generation.load(ordering: .sequentiallyConsistent)
            }
            if current == seen {
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                current = generation.load(ordering: .sequentiallyConsistent)
                while current == seen {
                    pthread_cond_wait(wake, mutex)
                    current = generation.load(ordering: .sequentiallyConsistent)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = current
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            job?(index)
            pending.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}

private final class WorkerStart {
    // Unowned: the workers must not keep the pool alive, or its deinit (which stops them) never runs.
    unowned let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
