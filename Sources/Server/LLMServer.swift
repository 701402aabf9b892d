import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `llmrun serve`: an OpenAI-compatible HTTP server for one model.
///
/// It listens first and loads the model afterwards (`/health` answers 503 until it is ready). Requests
/// queue for `parallel` slots, each with its own KV cache, running on threads of their own.
public struct LLMServer: Sendable {
    public let configuration: ServeConfiguration
    let logger: Logger

    public init(configuration: ServeConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until SIGINT or SIGTERM, then drains (`ServerLifecycle`) and returns. Throws when the server
    /// cannot bind or the model cannot be loaded.
    public func run() async throws {
        let metrics = ServerMetrics()
        let host = ModelHost()
        let lifecycle = ServerLifecycle()
        let routes = Routes(configuration: configuration, host: host, metrics: metrics, lifecycle: lifecycle,
                            startTime: Int(Date().timeIntervalSince1970))
        let (listening, listeningContinuation) = AsyncStream<Void>.makeStream()
        let (configuration, logger) = (configuration, logger)
        var app = Application(
            router: routes.makeRouter(logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "llmrun"),
            onServerRunning: { channel in
                logger.info("listening on http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port), loading \(configuration.modelPath)")
                listeningContinuation.finish()
            },
            logger: logger
        )
        app.addServices(ModelLoader(host: host, configuration: configuration, metrics: metrics, lifecycle: lifecycle, logger: logger,
                                    listening: listening))
        // Our own group rather than `app.runService()`: the drain must run before the application stops listening.
        let drain = DrainService(lifecycle: lifecycle, drainTime: configuration.drainTime, logger: logger)
        try await ServiceGroup(configuration: .init(services: [app, drain], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}

/// Loads the model once the server listens, then stays until shutdown. As a service of the application,
/// a loading error shuts the server down gracefully and becomes the error `run()` throws.
struct ModelLoader: Service {
    let host: ModelHost
    let configuration: ServeConfiguration
    let metrics: ServerMetrics
    let lifecycle: ServerLifecycle
    let logger: Logger
    let listening: AsyncStream<Void>

    func run() async throws {
        for await _ in listening.cancelOnGracefulShutdown() {}
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        let start = ContinuousClock.now
        // The load runs on a thread that cannot be interrupted; a shutdown meanwhile stops waiting for it, so
        // that a replica stopped while loading a large model exits at once.
        let (outcome, finished) = AsyncStream<Result<Void, any Error>>.makeStream()
        let (host, configuration, metrics, lifecycle) = (host, configuration, metrics, lifecycle)
        Task {
            do {
                try await host.load(configuration: configuration, metrics: metrics, lifecycle: lifecycle)
                finished.yield(.success(()))
            } catch {
                finished.yield(.failure(error))
            }
            finished.finish()
        }
        for await result in outcome.cancelOnGracefulShutdown() { try result.get() }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        logger.info("model \(configuration.modelID) ready in \(String(format: "%.2f", seconds)) s, \(configuration.parallel) slot(s)")
        // A service that returns stops the others: stay until the server shuts down.
        try? await gracefulShutdown()
    }
}
