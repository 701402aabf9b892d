import Foundation
import Transformer

/// One parallel sequence (`--parallel`): a session with its own KV cache. The session keeps the tokens of its
/// last request, so the next request sharing a prefix with it (a chat grown by one turn) evaluates only what is
/// new. Its work runs on the `BatchScheduler`'s thread.
final class InferenceSlot: @unchecked Sendable {
    let index: Int
    /// Touched only by the scheduler, or by the pool while the slot is idle.
    let session: Session

    init(index: Int, session: Session) {
        self.index = index
        self.session = session
    }

    /// How many leading tokens of `prompt` are already in the cache.
    func cachedPrefixLength(of prompt: [Int32]) -> Int {
        zip(session.tokens, prompt).prefix { $0 == $1 }.count
    }
}
