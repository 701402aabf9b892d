import Foundation
import Hummingbird
import Logging

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
        let app = Application(
            router: routes.makeRouter(logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "llmrun"),
            onServerRunning: { channel in
                logger.info("listening on http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port), loading \(configuration.modelPath)")
                listeningContinuation.finish()
            },
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask {
                for await _ in listening {}
                guard !Task.isCancelled else { return }
                let start = ContinuousClock.now
                try await host.load(configuration: configuration, metrics: metrics)
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                logger.info("model \(configuration.modelID) ready in \(String(format: "%.2f", seconds)) s, \(configuration.parallel) slot(s)")
            }
            // The first to finish is the loader (the server runs until a signal); a loading error ends both.
            while try await group.next() != nil {}
        }
    }
}
