/// GPT-2's reversible byte ↔ printable-character mapping: bytes that are printable Latin-1 map to
/// themselves, the other 68 to U+0100 upwards in byte order, so every byte string becomes visible text.
enum ByteLevelEncoding {
    /// The code point standing for each byte.
    static let codepointForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// The UTF-8 of each byte's code point.
    static let utf8ForByte: [[UInt8]] = codepointForByte.map { codepoint in
        Unicode.Scalar(codepoint).map { Array(String(Character($0)).utf8) } ?? []
    }

    /// The byte a code point stands for, nil for code points outside the mapping.
    static func byte(for codepoint: UInt32) -> UInt8? {
        guard codepoint < 0x144 else { return nil }
        return byteForCodepoint[Int(codepoint)]
    }

    private static let byteForCodepoint: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 0x144)
        for (byte, codepoint) in codepointForByte.enumerated() { table[Int(codepoint)] = UInt8(byte) }
        return table
    }()
}
