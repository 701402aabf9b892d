import Foundation
import Synchronization

/// Hands out the slots, one request each, and queues the requests that find none idle. The queue is
/// bounded (a full queue is a 503 at once) and a request waits at most until its deadline.
final class SlotPool: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<InferenceSlot, any Error>
    }

    private struct State {
        var idle: [InferenceSlot]
        var waiters: [Waiter] = []
        /// Acquisitions under way that are not queued yet, and those of them already given up (by
        /// cancellation or deadline before they could queue).
        var starting: Set<Int> = []
        var abandoned: Set<Int> = []
        var nextID = 0
    }

    let slotCount: Int
    let maxQueued: Int
    private let state: Mutex<State>
    private let metrics: ServerMetrics

    init(slots: [InferenceSlot], maxQueued: Int, metrics: ServerMetrics) {
        slotCount = slots.count
        self.maxQueued = maxQueued
        self.metrics = metrics
        state = Mutex(State(idle: slots))
    }

    /// A slot for `prompt`: the idle one whose cache shares the longest prefix with it, else the first
    /// released. Throws a 503 when the queue is full or the deadline passes while waiting, and
    /// `CancellationError` when the calling task is cancelled.
    func acquire(prompt: [Int32], deadline: ContinuousClock.Instant) async throws -> InferenceSlot {
        let id = state.withLock { state in
            state.nextID += 1
            state.starting.insert(state.nextID)
            return state.nextID
        }
        let timer = Task { [self] in
            try await Task.sleep(until: deadline, clock: .continuous)
            abandon(id, error: APIError.busy("The request waited in the queue until its timeout; all \(slotCount) slots stayed busy."))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome: Result<InferenceSlot, any Error>? = state.withLock { state in
                    state.starting.remove(id)
                    if state.abandoned.remove(id) != nil { return .failure(CancellationError()) }
                    if let best = state.idle.indices.max(by: { state.idle[$0].cachedPrefixLength(of: prompt) < state.idle[$1].cachedPrefixLength(of: prompt) }) {
                        return .success(state.idle.remove(at: best))
                    }
                    guard state.waiters.count < maxQueued else {
                        return .failure(APIError.busy("The server is busy: \(slotCount) slots in use and \(maxQueued) requests queued."))
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                publishLoad()
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            abandon(id, error: CancellationError())
        }
    }

    /// Gives a slot back: to the longest-waiting request, else to the idle set.
    func release(_ slot: InferenceSlot) {
        let waiter = state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                state.idle.append(slot)
                return nil
            }
            return state.waiters.removeFirst()
        }
        publishLoad()
        waiter?.continuation.resume(returning: slot)
    }

    /// Ends a waiting acquisition with `error`; one that has not queued yet fails as soon as it tries.
    private func abandon(_ id: Int, error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) { return state.waiters.remove(at: index) }
            if state.starting.contains(id) { state.abandoned.insert(id) }
            return nil
        }
        publishLoad()
        waiter?.continuation.resume(throwing: error)
    }

    private func publishLoad() {
        let (idle, queued) = state.withLock { ($0.idle.count, $0.waiters.count) }
        metrics.requestsInFlight.set(Int64(slotCount - idle))
        metrics.requestsQueued.set(Int64(queued))
    }
}
