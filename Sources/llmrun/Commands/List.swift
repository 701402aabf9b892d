import ArgumentParser
import Foundation
import ModelStore
import Transformer

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the model catalog and which models are present.")

    @Flag(help: "Print one JSON array.")
    var json = false

    func run() throws {
        let store = ModelStore(catalog: try ModelCatalog.bundled())
        if json {
            let rows = store.catalog.models.map { entry in
                ["name": entry.name, "size": "\(entry.size)", "present": "\(store.isPresent(entry))", "path": store.modelURL(entry).path,
                 "architecture": entry.architecture, "default": "\(entry.name == store.catalog.default)"]
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("NAME".padding(toLength: 15, withPad: " ", startingAt: 0) + "SIZE      PRESENT  DESCRIPTION")
        for entry in store.catalog.models {
            let name = entry.name + (entry.name == store.catalog.default ? "*" : "")
            print(name.padding(toLength: 15, withPad: " ", startingAt: 0)
                + Terminal.formatBytes(entry.size).padding(toLength: 10, withPad: " ", startingAt: 0)
                + (store.isPresent(entry) ? "yes      " : "no       ") + entry.description)
        }
        print("* default model; cache: \(store.home.path)")
    }
}
