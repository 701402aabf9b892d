import Foundation
import TestSupport

extension TestSupport {
    /// A fixture of this target (`Tests/TransformerTests/Fixtures`).
    static func fixture(_ relativePath: String) throws -> Data { try fixture(relativePath, in: .module) }
}
