import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Where the server is between its first request and its exit, as load balancers need to see it.
///
/// On SIGTERM or SIGINT the server keeps listening but drains: new requests get 503 with `Retry-After`
/// (a balancer sends them elsewhere) and `/health` says "draining", while the requests already admitted
/// run to their end. When `--drain-seconds` pass first, the generations still running stop at their
/// next token and their streams end with an error event, never with `[DONE]` or a finish reason, so
/// no client takes a cut answer for a whole one. Then the listener closes and the process exits 0.
final class ServerLifecycle: Sendable {
    enum Phase: Int {
        case serving, draining, aborting
    }

    private let phaseValue = Atomic<Int>(Phase.serving.rawValue)
    /// Admitted requests whose response is not yet written (queued, generating or streaming).
    private let activeCount = Atomic<Int>(0)

    var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .aborting }
    var isDraining: Bool { phase != .serving }
    /// Set once the drain time is over: generations stop at their next token.
    var isAborting: Bool { phase == .aborting }
    var activeRequests: Int { activeCount.load(ordering: .relaxed) }

    /// Counts a request in, or refuses it (false) once draining has begun.
    func admit() -> Bool {
        guard !isDraining else { return false }
        activeCount.add(1, ordering: .relaxed)
        return true
    }

    /// The end of an admitted request's response.
    func finish() { activeCount.subtract(1, ordering: .relaxed) }

    func enter(_ phase: Phase) { phaseValue.store(phase.rawValue, ordering: .releasing) }
}

/// The drain, as a service that runs beside the application: registered after it, it is the first to
/// hear of a graceful shutdown (services stop in reverse order), and the HTTP server stops listening
/// only once it returns.
struct DrainService: Service {
    let lifecycle: ServerLifecycle
    let drainTime: Duration
    let logger: Logger

    /// How often the drain looks at the count of active requests.
    static let pollInterval = Duration.milliseconds(50)
    /// After the drain time, how long the stopped generations get to send their error event (they stop
    /// at their next token or prompt batch, well within it).
    static let abortGrace = Duration.seconds(10)

    func run() async throws {
        // Cancelled (the server failed): nothing to drain.
        do { try await gracefulShutdown() } catch { return }
        lifecycle.enter(.draining)
        let active = lifecycle.activeRequests
        logger.info("draining: refusing new requests, \(active) in flight, up to \(drainTime)")
        if await waitForIdle(until: .now + drainTime) { return }
        lifecycle.enter(.aborting)
        logger.warning("drain time over: stopping \(lifecycle.activeRequests) request(s) with an error")
        if await !waitForIdle(until: .now + Self.abortGrace) {
            logger.error("\(lifecycle.activeRequests) request(s) still open after the drain; closing anyway")
        }
    }

    /// True once no admitted request is left, false when `deadline` passes first.
    private func waitForIdle(until deadline: ContinuousClock.Instant) async -> Bool {
        while lifecycle.activeRequests > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: Self.pollInterval)
        }
        return true
    }
}
