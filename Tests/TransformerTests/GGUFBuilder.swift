import Foundation
import Tensor
@testable import Transformer

/// Writes small GGUF files for tests: valid ones, and with `corrupt` hooks, broken ones.
struct GGUFBuilder {
    enum Value {
        case uint32(UInt32)
        case uint64(UInt64)
        case int32(Int32)
        case float32(Float)
        case bool(Bool)
        case string(String)
        case strings([String])
        case floats([Float])
        case ints([Int32])
        /// Any value as read from another file (a vocabulary's `tokenizer.*` keys copied into a synthetic model).
        case copied(GGUFValue)
    }

    struct Tensor {
        var name: String
        var dimensions: [Int]
        var type: GGMLType
        var data: [UInt8]
        /// Where the data lies in the data section when it is another tensor's (nothing of the file's
        /// own forbids it, and a hostile file may point every tensor at one block); nil: `data`, laid out in turn.
        var sharedOffset: Int? = nil
    }

    var version: UInt32 = 3
    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []
    var alignment = 32

    /// A minimal valid llama-architecture header with one F32 tensor.
    static func minimal(architecture: String = "llama") -> GGUFBuilder {
        var builder = GGUFBuilder()
        builder.metadata = [
            ("general.architecture", .string(architecture)),
            ("\(architecture).context_length", .uint32(128)),
            ("\(architecture).block_count", .uint32(1)),
            ("\(architecture).attention.head_count", .uint32(2)),
            ("\(architecture).embedding_length", .uint32(8)),
            ("tokenizer.ggml.tokens", .strings(["a", "b", "c"])),
        ]
        builder.tensors = [Tensor(name: "token_embd.weight", dimensions: [8, 3], type: .f32, data: [UInt8](repeating: 0, count: 96))]
        return builder
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        // Type codes: ggml/docs/gguf.md, gguf_metadata_value_type. An array's element type is its first element's.
        func typeCode(_ v: GGUFValue) -> UInt32 {
            switch v {
            case .uint8: 0
            case .int8: 1
            case .uint16: 2
            case .int16: 3
            case .uint32: 4
            case .int32: 5
            case .float32: 6
            case .bool: 7
            case .string: 8
            case .array: 9
            case .uint64: 10
            case .int64: 11
            case .float64: 12
            }
        }
        func encode(_ v: GGUFValue, withType: Bool) {
            if withType { u32(typeCode(v)) }
            switch v {
            case .uint8(let x): out.append(x)
            case .int8(let x): out.append(UInt8(bitPattern: x))
            case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case .int16(let x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case .uint32(let x): u32(x)
            case .int32(let x): u32(UInt32(bitPattern: x))
            case .float32(let x): u32(x.bitPattern)
            case .bool(let x): out.append(x ? 1 : 0)
            case .string(let x): string(x)
            case .uint64(let x): u64(x)
            case .int64(let x): u64(UInt64(bitPattern: x))
            case .float64(let x): u64(x.bitPattern)
            case .array(let elements):
                u32(elements.first.map(typeCode) ?? 0)
                u64(UInt64(elements.count))
                elements.forEach { encode($0, withType: false) }
            }
        }
        u32(0x4655_4747)
        u32(version)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case .uint32(let v): u32(4); u32(v)
            case .uint64(let v): u32(10); u64(v)
            case .int32(let v): u32(5); u32(UInt32(bitPattern: v))
            case .float32(let v): u32(6); u32(v.bitPattern)
            case .bool(let v): u32(7); out.append(v ? 1 : 0)
            case .string(let v): u32(8); string(v)
            case .strings(let v): u32(9); u32(8); u64(UInt64(v.count)); v.forEach(string)
            case .floats(let v): u32(9); u32(6); u64(UInt64(v.count)); v.forEach { u32($0.bitPattern) }
            case .ints(let v): u32(9); u32(5); u64(UInt64(v.count)); v.forEach { u32(UInt32(bitPattern: $0)) }
            case .copied(let v): encode(v, withType: true)
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(tensor.sharedOffset ?? offset)
            offset += (tensor.data.count + alignment - 1) / alignment * alignment
        }
        for (tensor, offset) in zip(tensors, offsets) {
            string(tensor.name)
            u32(UInt32(tensor.dimensions.count))
            tensor.dimensions.forEach { u64(UInt64($0)) }
            u32(tensor.type.rawValue)
            u64(UInt64(offset))
        }
        while out.count % alignment != 0 { out.append(0) }
        for tensor in tensors {
            out += tensor.data
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func write(_ bytes: [UInt8], name: String = "test.gguf") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llmrun-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Removes a file `write` made, with its directory (a mapping of it stays valid until unmapped).
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
