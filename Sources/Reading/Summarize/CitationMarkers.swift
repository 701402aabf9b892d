import Foundation
import Transformer

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

/// Takes `[S#]` markers out of streamed text: a piece that may be the start of a marker is held back until
/// it turns out to be one (dropped) or not (passed on). `[S3]` may arrive as `[`, `S`, `3`, `]`.
public struct CitationMarkerFilter: Sendable {
    private var held = ""

    public init() {}

    /// The text of `piece` that is ready, markers removed.
    public mutating func filter(_ piece: String) -> String {
        held += piece
        var output = ""
        while let open = held.firstIndex(where: { $0 == "[" || $0 == "［" }) {
            output += held[..<open]
            let rest = held[open...]
            var index = rest.index(after: rest.startIndex)
            var isMarker = index < rest.endIndex ? rest[index] == "S" : true
            var closed = false
            if isMarker, index < rest.endIndex {
                index = rest.index(after: index)
                while index < rest.endIndex {
                    let character = rest[index]
                    if character == "]" || character == "］" {
                        closed = true
                        break
                    }
                    guard character.isNumber || ",，、 S".contains(character) else {
                        isMarker = false
                        break
                    }
                    index = rest.index(after: index)
                }
            }
            if isMarker && closed {
                held = String(rest[rest.index(after: index)...])
            } else if isMarker {
                held = String(rest)  // may still become a marker
                return output
            } else {
                output.append(rest[rest.startIndex])
                held = String(rest.dropFirst())
            }
        }
        output += held
        held = ""
        return output
    }

    /// Whatever is still held back (an unfinished marker is shown as it is).
    public mutating func flush() -> String {
        defer { held = "" }
        return held
    }
}
