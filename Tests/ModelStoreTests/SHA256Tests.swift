import Foundation
import Testing
@testable import ModelStore

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

private func digest(_ bytes: [UInt8]) -> String {
    var hasher = SHA256()
    hasher.update(data: bytes)
    return hex(hasher.finalize())
}

/// FIPS 180-4's examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
@Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
])
func sha256OfTheStandardExamples(message: String, expected: String) {
    #expect(digest(Array(message.utf8)) == expected)
}

@Test func sha256OfAMillionAs() {
    #expect(digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

/// Lengths around the padding boundaries (55, 56, 64 bytes), fed whole and in uneven chunks, as `pull` feeds it.
@Test func chunkedUpdatesGiveTheDigestOfTheWhole() {
    var generator = SystemRandomNumberGenerator()
    for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4099] {
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var hasher = SHA256()
        var start = 0
        while start < length {
            let end = min(length, start + Int.random(in: 1...130, using: &generator))
            hasher.update(data: bytes[start..<end])
            start = end
        }
        #expect(hex(hasher.finalize()) == digest(bytes), "length \(length)")
    }
}
