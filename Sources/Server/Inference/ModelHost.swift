import Foundation
import Synchronization

/// The model's state as the routes see it: loading (503), ready, or failed to load.
final class ModelHost: Sendable {
    private enum State {
        case loading
        case ready(LoadedModel)
        case failed(String)
    }

    private let state = Mutex(State.loading)

    /// The model, or a 503 while it is loading.
    func model() throws(APIError) -> LoadedModel {
        let current = state.withLock { state -> Result<LoadedModel, APIError> in
            switch state {
            case .ready(let model): .success(model)
            case .loading: .failure(.loading)
            case .failed(let message): .failure(.internalError("The model failed to load: \(message)"))
            }
        }
        return try current.get()
    }

    var isReady: Bool { state.withLock { if case .ready = $0 { true } else { false } } }

    /// Loads on a thread of its own, so that the server answers /health (503) meanwhile.
    func load(configuration: ServeConfiguration, metrics: ServerMetrics, lifecycle: ServerLifecycle) async throws {
        do {
            let model = try await WorkerThread.run(name: "llmrun-load") {
                try LoadedModel.load(configuration: configuration, metrics: metrics, lifecycle: lifecycle)
            }
            state.withLock { $0 = .ready(model) }
        } catch {
            state.withLock { $0 = .failed(String(describing: error)) }
            throw error
        }
    }
}
