import FuzzSupport
import Reading
import Transformer

/// The text cleaner and sentence splitter on anything that decodes (and, when decoding refuses the
/// bytes, on the same bytes read leniently as UTF-8, as pasted text would arrive). The first byte sets
/// the splitter's maximum sentence length.
///
/// Checks: sentences are numbered 1…n, in order, non-overlapping, inside the cleaned text, their text is
/// the text at their range, and every source position points into the input.
func fuzzTextCleaner(_ bytes: UnsafeRawBufferPointer) {
    guard let control = bytes.first else { return }
    let input = [UInt8](bytes.dropFirst())
    let decoded = (try? TextDecoder.decode(input, name: "fuzz.txt"))
        ?? DecodedText(utf8Text: String(decoding: input, as: UTF8.self), name: "fuzz.txt")
    let cleaned = TextCleaner().clean(decoded)
    let sourceLength = decoded.scalarByteOffsets.last ?? 0
    let sentences = SentenceSplitter(maximumLength: 20 + Int(control)).split(cleaned)

    var previousEnd = 0
    for (number, sentence) in sentences.enumerated() {
        FuzzSupport.check(sentence.index == number + 1, "sentence \(number + 1) numbered \(sentence.index)")
        FuzzSupport.check(sentence.scalarRange.lowerBound >= previousEnd, "sentence \(sentence.index) overlaps the previous one")
        FuzzSupport.check(sentence.scalarRange.upperBound <= cleaned.scalarCount, "sentence \(sentence.index) ends past the text")
        FuzzSupport.check(!sentence.scalarRange.isEmpty, "sentence \(sentence.index) is empty")
        FuzzSupport.check(sentence.text == String(cleaned.text[sentence.range]), "sentence \(sentence.index) text")
        FuzzSupport.check(sentence.source.byteOffset >= 0 && sentence.source.byteOffset <= sourceLength,
                          "sentence \(sentence.index) source \(sentence.source) outside \(sourceLength) bytes")
        previousEnd = sentence.scalarRange.upperBound
    }
    for offset in [-1, 0, cleaned.scalarCount / 2, cleaned.scalarCount, cleaned.scalarCount + 1] {
        let position = cleaned.sourcePosition(ofScalarOffset: offset)
        FuzzSupport.check(position.byteOffset >= 0 && position.byteOffset <= sourceLength, "source of scalar \(offset): \(position)")
        _ = cleaned.scalarOffset(of: cleaned.index(ofScalarOffset: offset))
    }
    _ = cleaned.report.tally(.markup)
}

@main enum Main {
    static func main() { FuzzSupport.run(fuzzTextCleaner) }
}
