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

    /// Serves until SIGINT or SIGTERM. Throws when the server cannot bind or the model cannot be loaded.
    public func run() async throws {
        let metrics = ServerMetrics()
        let host = ModelHost()
        let routes = Routes(configuration: configuration, host: host, metrics: metrics, startTime: Int(Date().timeIntervalSince1970))
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
        app.addServices(ModelLoader(host: host, configuration: configuration, metrics: metrics, logger: logger, listening: listening))
        try await app.runService()
    }
}

/// Loads the model once the server listens, then stays until shutdown. As a service of the application,
/// a loading error shuts the server down gracefully and becomes the error `run()` throws.
struct ModelLoader: Service {
    let host: ModelHost
    let configuration: ServeConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    let listening: AsyncStream<Void>

    func run() async throws {
        for await _ in listening.cancelOnGracefulShutdown() {}
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        let start = ContinuousClock.now
        try await host.load(configuration: configuration, metrics: metrics)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        logger.info("model \(configuration.modelID) ready in \(String(format: "%.2f", seconds)) s, \(configuration.parallel) slot(s)")
        // A service that returns stops the others: stay until the server shuts down.
        try? await gracefulShutdown()
    }
}
