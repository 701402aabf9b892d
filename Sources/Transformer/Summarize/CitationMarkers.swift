import Foundation

/// The `[S#]` markers that summaries and answers cite sentences with.
enum CitationMarkers {
    /// `text` without its markers, and the sentence numbers they name in order of first appearance.
    /// Accepts the forms small models write: `[S3]`, `[S3, S5]`, `[S3，5]`, full-width `［S3］`.
    static func extract(from text: some StringProtocol) -> (text: String, citations: [Int]) {
        var citations: [Int] = []
        var plain = ""
        var rest = Substring(text)
        while let open = rest.range(of: "[S") ?? rest.range(of: "［S") {
            plain += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstIndex(where: { $0 == "]" || $0 == "］" }) else {
                rest = afterOpen
                break
            }
            for part in afterOpen[..<close].split(whereSeparator: { ",，、 S".contains($0) }) {
                if let number = Int(part), !citations.contains(number) { citations.append(number) }
            }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        plain += rest
        return (plain, citations)
    }
}
