import Foundation

/// A thread of its own for blocking work. Model loading and inference are CPU-bound and run for seconds:
/// on NIO's event loops or Swift's cooperative pool (as many threads as cores) they would stall every
/// other connection.
final class WorkerThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []  // guarded by `condition`

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        // As much stack as the main thread, where the CLI runs the same model code.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Runs `job` on the thread, after the jobs submitted before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on a new thread and returns its result without blocking the caller's thread.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
