import Foundation
import Transformer

/// Runs the slots' work on one thread, over one pool of compute threads: the generations of all busy slots
/// advance together, one batched decode step for all of them per iteration (continuous batching,
/// `BatchGenerator`: one read of the weights per step instead of one per slot); a new request's prompt is
/// evaluated one batch between two steps (chunked prefill), and a generation that ends or whose client stops it
/// leaves the batch at once.
/// Work that needs the threads alone (a summary, which batches its own points) waits until the generations in
/// flight end, and new generations wait for it.
final class BatchScheduler: @unchecked Sendable {
    struct Generation {
        let request: BatchGenerator.Request
        /// Each piece of text; false stops this generation (its client left, its deadline passed).
        let onText: (String) -> Bool
        /// Polled before each batch of the prompt: false stops the generation before its text begins.
        let keepGoing: () -> Bool
        /// The generation ended, with its statistics, or failed; its slot is free again.
        let onEnd: (Result<GenerationStats, any Error>) -> Void
    }

    private let generator: BatchGenerator
    private let worker = WorkerThread(name: "llmrun-batch")
    private let lock = NSLock()
    /// Generations waiting for their slot's session to join the batch, by slot. Guarded by `lock`, as are the next two.
    private var waiting: [Int: Generation] = [:]
    private var alone: [() -> Void] = []
    /// Whether `drain()` is queued or running on the worker.
    private var draining = false

    /// `sessions[i]` is slot i's; they share one thread pool.
    init(sessions: [Session], tokenizer: any Tokenizer, draftCapacity: Int = 0) throws(GenerationError) {
        generator = try BatchGenerator(sessions: sessions, tokenizer: tokenizer, draftCapacity: draftCapacity)
    }

    /// Generates `generation` on slot `slot`'s session, which the caller holds (`SlotPool`).
    func generate(on slot: Int, _ generation: Generation) {
        lock.withLock {
            waiting[slot] = generation
            drainIfIdle()
        }
    }

    /// Runs `body` on the scheduler's thread with no generation in flight.
    func runAlone(_ body: @escaping () -> Void) {
        lock.withLock {
            alone.append(body)
            drainIfIdle()
        }
    }

    /// Called with `lock` held.
    private func drainIfIdle() {
        guard !draining else { return }
        draining = true
        worker.submit { [self] in drain() }
    }

    private func drain() {
        while true {
            let (body, generations) = lock.withLock { () -> ((() -> Void)?, Bool) in
                let body = alone.isEmpty ? nil : alone.removeFirst()
                if body == nil && waiting.isEmpty { draining = false }
                return (body, !waiting.isEmpty)
            }
            if let body {
                body()
            } else if generations {
                runGenerations()
            } else {
                return
            }
        }
    }

    /// The generations waiting, and those that arrive while they run, until none is left (or work that needs
    /// the threads alone is waiting: then no new generation joins).
    private func runGenerations() {
        var active: [Int: Generation] = [:]
        do {
            try generator.run(
                next: { slot in
                    lock.withLock { () -> (id: Int, request: BatchGenerator.Request)? in
                        guard alone.isEmpty, let generation = waiting.removeValue(forKey: slot) else { return nil }
                        active[slot] = generation
                        return (slot, generation.request)
                    }
                },
                onText: { slot, text in active[slot]?.onText(text) ?? false },
                onFinish: { slot, result in active.removeValue(forKey: slot)?.onEnd(result.mapError { $0 }) },
                isStopped: { slot in !(active[slot]?.keepGoing() ?? true) })
        } catch {
            // Only a failure of the batched step itself (a prompt the model refuses ends its own generation alone):
            // each generation in flight hears why.
            for generation in active.values { generation.onEnd(.failure(error)) }
        }
    }
}
