import Foundation
import Testing

@testable import Tensor

// Fixtures: Tests/TensorTests/Fixtures/quant/<TYPE>.<source>.json, written by
// scripts/gen_quant_fixtures.py from gguf-py's reference dequantizer. Each case holds raw block
// bytes and the exact float32 results (hex of little-endian bytes), so the comparison is bit for bit.

/// The types this build must dequantize bit-identically to gguf-py.
let dequantizableTypes: [GGMLType] = [
    .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq4_nl, .iq4_xs,
]

// MARK: - Fixture loading

struct QuantFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let rowCount: Int
        let rowLength: Int
        let dataHex: String
        let expectedF32Hex: String
    }

    let type: String
    let typeId: UInt32
    let ggufPyVersion: String
    let source: String
    let sourceSHA256: String?
    let cases: [Case]
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// All fixture files for `type`, by file name.
func quantFixtures(for type: GGMLType) throws -> [(file: String, fixture: QuantFixture)] {
    guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw FixtureError(description: "no Fixtures directory in the test bundle")
    }
    let directory = fixtures.appendingPathComponent("quant")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasPrefix(type.name + ".") && $0.hasSuffix(".json") }
        .sorted()
    return try files.map { file in
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        return (file, try JSONDecoder().decode(QuantFixture.self, from: data))
    }
}

/// Bytes from lowercase or uppercase hex text.
func bytes(fromHex hex: String) throws -> [UInt8] {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { throw FixtureError(description: "odd-length hex") }
    func value(_ digit: UInt8) throws -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: throw FixtureError(description: "bad hex digit \(digit)")
        }
    }
    var result = [UInt8]()
    result.reserveCapacity(digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        result.append(try value(digits[index]) << 4 | value(digits[index + 1]))
    }
    return result
}

/// Float bit patterns from hex of little-endian float32 bytes.
func floatBits(fromHex hex: String) throws -> [UInt32] {
    let raw = try bytes(fromHex: hex)
    guard raw.count % 4 == 0 else { throw FixtureError(description: "float data is not whole floats") }
    return stride(from: 0, to: raw.count, by: 4).map { index in
        UInt32(raw[index]) | UInt32(raw[index + 1]) << 8 | UInt32(raw[index + 2]) << 16 | UInt32(raw[index + 3]) << 24
    }
}

/// The first index where `actual` and `expected` differ bit-wise, with both patterns, or nil.
func firstMismatch(_ actual: some Collection<Float>, _ expected: some Collection<UInt32>) -> String? {
    for (index, (value, bits)) in zip(actual, expected).enumerated() where value.bitPattern != bits {
        let hexActual = String(value.bitPattern, radix: 16), hexExpected = String(bits, radix: 16)
        return "index \(index): got \(value) (0x\(hexActual)), expected \(Float(bitPattern: bits)) (0x\(hexExpected))"
    }
    return nil
}

/// Copies `bytes` to an odd address (and into an allocation of exactly their size plus the
/// offset) so the dequantizer is exercised on unaligned blocks, as in a GGUF file.
func withUnalignedCopy<R>(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let misalignment = 1
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + misalignment, alignment: 64)
    defer { storage.deallocate() }
    let region = UnsafeMutableRawBufferPointer(rebasing: storage[misalignment...])
    bytes.withUnsafeBytes { region.copyMemory(from: $0) }
    return try body(UnsafeRawBufferPointer(region))
}

/// A sentinel the dequantizers never produce from the fixtures (a signalling NaN with a payload).
let untouched = Float(bitPattern: 0x7FA0_BEEF)

// MARK: - Tests

@Test(arguments: dequantizableTypes)
func dequantizeMatchesGGUFPyBitForBit(type: GGMLType) throws {
    let fixtures = try quantFixtures(for: type)
    #expect(fixtures.contains { $0.fixture.source == "synthetic" }, "no synthetic fixture for \(type.name)")
    for (file, fixture) in fixtures {
        #expect(fixture.typeId == type.rawValue && fixture.type == type.name, "\(file) is for \(fixture.type)")
        #expect(!fixture.cases.isEmpty, "\(file) has no cases")
        for testCase in fixture.cases {
            let data = try bytes(fromHex: testCase.dataHex)
            let expected = try floatBits(fromHex: testCase.expectedF32Hex)
            let count = testCase.rowCount * testCase.rowLength
            try #require(expected.count == count, "\(file) \(testCase.name): \(expected.count) expected values")
            try #require(type.byteCount(elements: count) == data.count, "\(file) \(testCase.name): \(data.count) bytes")

            // One spare float past the end catches writes beyond `count`.
            var output = [Float](repeating: untouched, count: count + 1)
            withUnalignedCopy(of: data) { source in
                output.withUnsafeMutableBufferPointer { destination in
                    guard let base = destination.baseAddress else { return }
                    type.dequantize(source, count: count, into: base)
                }
            }
            let mismatch = firstMismatch(output.prefix(count), expected)
            #expect(mismatch == nil, "\(file) \(testCase.name) (gguf-py \(fixture.ggufPyVersion)): \(mismatch ?? "")")
            #expect(output[count].bitPattern == untouched.bitPattern, "\(file) \(testCase.name): wrote past the end")
        }
    }
}

@Test(arguments: dequantizableTypes)
func dequantizeRowPicksTheRightRow(type: GGMLType) throws {
    let multiRowCases = try quantFixtures(for: type).flatMap { entry in
        entry.fixture.cases.filter { $0.rowCount >= 3 }.map { (entry.file, $0) }
    }
    try #require(!multiRowCases.isEmpty, "no fixture of \(type.name) has 3 or more rows")
    for (file, testCase) in multiRowCases {
        let data = try bytes(fromHex: testCase.dataHex)
        let expected = try floatBits(fromHex: testCase.expectedF32Hex)
        let row = testCase.rowCount / 2
        let rowLength = testCase.rowLength
        var output = [Float](repeating: untouched, count: rowLength + 1)
        withUnalignedCopy(of: data) { source in
            output.withUnsafeMutableBufferPointer { destination in
                guard let base = destination.baseAddress else { return }
                type.dequantizeRow(source, row: row, rowLength: rowLength, into: base)
            }
        }
        let expectedRow = expected[(row * rowLength)..<((row + 1) * rowLength)]
        let mismatch = firstMismatch(output.prefix(rowLength), expectedRow)
        #expect(mismatch == nil, "\(file) \(testCase.name) row \(row): \(mismatch ?? "")")
        #expect(output[rowLength].bitPattern == untouched.bitPattern, "\(file) \(testCase.name): wrote past the row")
    }
}

@Test func canDequantizeExactlyTheImplementedTypes() {
    #expect(!GGMLType.iq2_xxs.canDequantize)
    #expect(!GGMLType.q8_1.canDequantize)
    #expect(!GGMLType.mxfp4.canDequantize)
    for type in GGMLType.allCases {
        #expect(type.canDequantize == dequantizableTypes.contains(type), "\(type.name)")
    }
}

@Test(arguments: dequantizableTypes)
func blockLayoutAgreesWithTypeTable(type: GGMLType) throws {
    let format = try #require(type.blockFormat)
    #expect(format.type == type)
    #expect(format.elementCount == type.blockSize)
    #expect(format.byteCount == type.bytesPerBlock)
}

@Test func halfPrecisionEdgeValues() {
    #expect(Float(f16Bits: 0x3C00) == 1)
    #expect(Float(f16Bits: 0xC000) == -2)
    #expect(Float(f16Bits: 0x7BFF) == 65504)  // largest finite
    #expect(Float(f16Bits: 0x0001) == 0x1p-24)  // smallest subnormal
    #expect(Float(f16Bits: 0x8000).bitPattern == 0x8000_0000)  // -0
    #expect(Float(f16Bits: 0x7C00) == .infinity)
    #expect(Float(f16Bits: 0x7E01).bitPattern == 0x7FC0_2000)  // quiet NaN keeps its payload
    #expect(Float(bf16Bits: 0x3F80) == 1)
    #expect(Float(bf16Bits: 0xFF80) == -.infinity)
}
