import Foundation
import Testing
import Tensor
@testable import Transformer
import TestSupport

/// Inputs that once crashed, hung or broke an invariant of a fuzz target (Fuzz/README.md), minimized.
/// Each stays here so the bug cannot come back; `Fixtures/fuzz` holds the ones kept as files, which
/// `Fuzz/make-seeds.py` also feeds back to the fuzzers as seeds.
@Suite struct FuzzRegressionTests {
    /// Parses `bytes` like `FuzzGGUF` does, from memory.
    static func parse(_ bytes: [UInt8], path: String = "fuzz.gguf") throws -> GGUFFile {
        try GGUFFile(file: bytes.withUnsafeBytes { MappedFile(copying: $0, path: path) })
    }

    /// FuzzGGUF: an F16 tensor of 2^62 - 1 elements at offset 32 is 2^63 - 2 bytes; the check that its data
    /// fits in the file was right, but its error message computed offset + size and trapped on the overflow
    /// (`llmrun info` on this 160-byte file died with SIGTRAP instead of printing an error).
    @Test func tensorSizeNearIntMaxIsAnErrorNotAnOverflowTrap() throws {
        let bytes = [UInt8](try TestSupport.fixture("fuzz/gguf-tensor-size-overflow.input"))
        let error = #expect(throws: GGUFError.self) { try Self.parse(bytes) }
        #expect(error?.field == "tensor b")
        #expect(error?.problem.contains("\(Int.max - 1) bytes of data at offset 32 run past the end") == true, "\(String(describing: error))")
    }

    /// The same kind of size, one step further: elements × bytes per element overflows Int itself.
    @Test func tensorByteSizeOverflowIsNamed() throws {
        var builder = GGUFBuilder.minimal()
        builder.tensors.append(GGUFBuilder.Tensor(name: "huge", dimensions: [Int.max / 2 + 1], type: .f32, data: []))
        let error = #expect(throws: GGUFError.self) { try Self.parse(builder.bytes()) }
        #expect(error?.field == "tensor huge")
        #expect(error?.problem.contains("size in bytes overflows") == true, "\(String(describing: error))")
    }
}
