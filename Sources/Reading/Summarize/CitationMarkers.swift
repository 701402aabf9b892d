import Foundation
import Transformer

/// The `[S#]` markers that summaries and answers cite sentences with.
enum CitationMarkers {
    /// `text` without its markers, and the sentence numbers they name in order of first appearance.
    /// Accepts the forms small models write: `[S3]`, `[S3, S5]`, `[S3，5]`, full-width `［S3］`, and another
    /// capital for the S (`[A30]`, a slip seen from the 1.5B model).
    static func extract(from text: some StringProtocol) -> (text: String, citations: [Int]) {
        var citations: [Int] = []
        var filter = CitationMarkerFilter()
        let plain = filter.filter(String(text), onMarker: { marker in
            for part in marker.split(whereSeparator: { !$0.isASCII || !$0.isNumber }) {
                if let number = Int(part), !citations.contains(number) { citations.append(number) }
            }
        }) + filter.flush()
        return (plain, citations)
    }

    /// True for the first letter of a marker: S, or another capital that a model wrote in its place.
    static func isMarkerLetter(_ character: Character) -> Bool {
        character.isASCII && character.isUppercase
    }

    /// True for what may follow the letter inside a marker: numbers and the separators between them.
    static func isMarkerBody(_ character: Character) -> Bool {
        (character.isASCII && character.isNumber) || ",，、 S".contains(character)
    }
}

/// Takes `[S#]` markers out of streamed text: a piece that may be the start of a marker is held back until
/// it turns out to be one (dropped) or not (passed on). `[S3]` may arrive as `[`, `S`, `3`, `]`.
public struct CitationMarkerFilter: Sendable {
    private var held = ""

    public init() {}

    /// The text of `piece` that is ready, markers removed.
    public mutating func filter(_ piece: String) -> String {
        filter(piece, onMarker: { _ in })
    }

    /// The same, passing the inside of each marker removed (`S3, S5`) to `onMarker`.
    mutating func filter(_ piece: String, onMarker: (Substring) -> Void) -> String {
        held += piece
        var output = ""
        while let open = held.firstIndex(where: { $0 == "[" || $0 == "［" }) {
            output += held[..<open]
            let rest = held[open...]
            let letter = rest.index(after: rest.startIndex)
            var isMarker = letter < rest.endIndex ? CitationMarkers.isMarkerLetter(rest[letter]) : true
            var closed = false
            var index = letter
            if isMarker, letter < rest.endIndex {
                index = rest.index(after: letter)
                // A capital other than S counts only when a number follows it: "[OK]" is text.
                if index < rest.endIndex, rest[letter] != "S", !(rest[index].isASCII && rest[index].isNumber) { isMarker = false }
                while isMarker, index < rest.endIndex {
                    let character = rest[index]
                    if character == "]" || character == "］" {
                        closed = true
                        break
                    }
                    guard CitationMarkers.isMarkerBody(character) else {
                        isMarker = false
                        break
                    }
                    index = rest.index(after: index)
                }
            }
            if isMarker && closed {
                onMarker(rest[letter..<index])
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
