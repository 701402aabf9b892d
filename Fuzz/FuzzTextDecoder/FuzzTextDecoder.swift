import FuzzSupport
import Reading
import Transformer

/// A user's file, bytes → text: UTF-8, GB18030 fallback, refusal of binary and UTF-16/32 input.
/// Checks what the rest of the pipeline relies on: one byte offset per scalar plus the end, rising and
/// inside the input; line starts rising from 0; UTF-8 input decoded to exactly its bytes.
func fuzzTextDecoder(_ bytes: UnsafeRawBufferPointer) {
    let input = [UInt8](bytes)
    let decoded: DecodedText
    do {
        decoded = try TextDecoder.decode(input, name: "fuzz.txt")
    } catch {
        _ = error.description
        return
    }
    let scalarCount = decoded.text.unicodeScalars.count
    let offsets = decoded.scalarByteOffsets
    FuzzSupport.check(offsets.count == scalarCount + 1, "\(offsets.count) offsets for \(scalarCount) scalars")
    FuzzSupport.check(offsets.last == input.count, "last offset \(offsets.last ?? -1), input \(input.count) bytes")
    FuzzSupport.check(zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 }, "offsets fall")
    FuzzSupport.check(decoded.lineStartOffsets.first == 0, "first line start")
    FuzzSupport.check(zip(decoded.lineStartOffsets, decoded.lineStartOffsets.dropFirst()).allSatisfy { $0 < $1 }, "line starts do not rise")
    if decoded.encoding == .utf8 {
        FuzzSupport.check(Array(decoded.text.utf8) == input, "UTF-8 input not decoded to its own bytes")
    }
    for offset in [0, input.count / 2, input.count] {
        let line = decoded.line(ofByteOffset: offset)
        FuzzSupport.check(line >= 1 && line <= decoded.lineStartOffsets.count, "line \(line) of offset \(offset)")
    }
}

@main enum Main {
    static func main() { FuzzSupport.run(fuzzTextDecoder) }
}
