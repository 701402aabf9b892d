import Foundation

/// Where the bundled `catalog.json` lives at run time. `LLMRUN_CATALOG` overrides it.
public enum CatalogResource {
    public static var url: URL? {
        if let path = ProcessInfo.processInfo.environment["LLMRUN_CATALOG"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return Bundle.module.url(forResource: "catalog", withExtension: "json")
    }
}
