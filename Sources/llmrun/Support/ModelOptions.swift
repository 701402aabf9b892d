import ArgumentParser
import Foundation
import ModelStore
import Transformer

/// `-m MODEL`: a catalog name (pulled on first use) or a path to a `.gguf` file.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Catalog model name or path to a .gguf file (default: the catalog's default).")
    var model: String?

    /// The GGUF path, pulling a catalog model first if needed.
    func resolvePath() throws -> String { try resolveModelPath(model) }
}

/// The GGUF path for a catalog name or a file path (nil: the default model), pulling a catalog model first if needed.
func resolveModelPath(_ nameOrPath: String?) throws -> String {
    let store = ModelStore(catalog: try ModelCatalog.bundled())
    return try store.resolve(nameOrPath ?? store.catalog.default, onPull: { entry in
        Terminal.printError("\(entry.name) is not here yet; pulling it (\(Terminal.formatBytes(entry.size)))")
    }, progress: PullProgress.report).path
}

/// Renders `ModelStore.PullEvent`s on stderr.
enum PullProgress {
    nonisolated(unsafe) private static var bar: ProgressBar?

    static func report(_ event: ModelStore.PullEvent) {
        switch event {
        case .downloading(let package, let index, let count):
            Terminal.status("downloading \(index)/\(count) \(package)")
        case .assembling(let bytes, let total):
            if bar == nil { bar = ProgressBar(label: "assembling", total: total) }
            bar?.update(bytes)
        case .verifying:
            bar = nil
            Terminal.status("verifying sha256")
            Terminal.endStatus()
        }
    }
}
