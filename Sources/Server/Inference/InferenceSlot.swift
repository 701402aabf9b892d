import Foundation
import Transformer

/// One parallel sequence (`--parallel`): a session with its own KV cache, and the thread that runs it.
/// The session keeps the tokens of its last request, so the next request sharing a prefix with it (a chat
/// grown by one turn) evaluates only what is new.
final class InferenceSlot: @unchecked Sendable {
    let index: Int
    /// Touched only on `worker`, or by the pool while the slot is idle.
    let session: Session
    private let worker: WorkerThread

    init(index: Int, session: Session) {
        self.index = index
        self.session = session
        worker = WorkerThread(name: "llmrun-slot-\(index)")
    }

    /// Runs `body` with the session on the slot's thread.
    func run(_ body: @escaping @Sendable (Session) -> Void) {
        worker.submit { [session] in body(session) }
    }

    /// How many leading tokens of `prompt` are already in the cache.
    func cachedPrefixLength(of prompt: [Int32]) -> Int {
        zip(session.tokens, prompt).prefix { $0 == $1 }.count
    }
}
