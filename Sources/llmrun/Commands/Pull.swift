import ArgumentParser
import ModelStore
import Transformer

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Download, assemble and verify a catalog model.")

    @Argument(help: "Catalog model name (see `llmrun list`).")
    var name: String

    func run() throws {
        let store = ModelStore(catalog: try ModelCatalog.bundled())
        guard let entry = store.catalog.entry(named: name) else {
            throw CatalogError("\(name): not in the catalog (expected one of: \(store.catalog.models.map(\.name).joined(separator: ", ")))")
        }
        let wasPresent = store.isPresent(entry)
        let url = try store.pull(entry, progress: PullProgress.report)
        Terminal.printError(wasPresent ? "\(entry.name) is already here" : "\(entry.name) pulled and verified")
        print(url.path)
    }
}
