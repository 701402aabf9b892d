import Hummingbird
import Synchronization

/// Hummingbird's request context, plus the token counts a handler reports for the access log (which
/// writes its line only once a streamed body is finished).
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let tokens = TokenTally()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// Prompt and generated tokens of one request; written by its handler, read by the access log.
final class TokenTally: Sendable {
    private let counts = Mutex((prompt: 0, generated: 0))

    func set(prompt: Int, generated: Int) { counts.withLock { $0 = (prompt, generated) } }
    var value: (prompt: Int, generated: Int) { counts.withLock { $0 } }
}
