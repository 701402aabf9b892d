import Tensor

/// A GGUF model file (versions 2 and 3), memory-mapped and validated.
///
/// Layout (ggml/docs/gguf.md): magic "GGUF", version, tensor count, metadata count, the metadata
/// key/value pairs, the tensor infos, padding to `general.alignment`, then the tensor data.
/// Every count, length and offset read from the file is checked against the file's size before use,
/// so a truncated or hostile file gives a `GGUFError`, never a crash. This type knows nothing of
/// architectures or tokenizers.
public final class GGUFFile: @unchecked Sendable {
    public let file: MappedFile
    public let version: UInt32
    /// Metadata in file order (order matters for `info`), and by key.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let tensorsByName: [String: Int]
    public let alignment: Int
    /// Offset of the tensor data section from the start of the file.
    public let dataOffset: Int

    public var path: String { file.path }
    public var fileSize: Int { file.bytes.count }

    public convenience init(path: String) throws(GGUFError) {
        let mapped: MappedFile
        do { mapped = try MappedFile(path: path) } catch { throw GGUFError(path: path, field: "file", problem: error.reason) }
        try self.init(file: mapped)
    }

    public init(file: MappedFile) throws(GGUFError) {
        self.file = file
        var reader = ByteReader(bytes: file.bytes, path: file.path)

        let magic = try reader.read(UInt32.self, field: "magic")
        guard magic == 0x4655_4747 else {
            throw GGUFError(path: file.path, field: "magic", problem: "found 0x\(String(magic, radix: 16)), expected \"GGUF\" (0x46554747): not a GGUF file")
        }
        version = try reader.read(UInt32.self, field: "version")
        guard version == 2 || version == 3 else {
            throw GGUFError(path: file.path, field: "version", problem: "found \(version), expected 2 or 3")
        }
        // Smallest possible tensor info: name length (8) + dims count (4) + one dim (8) + type (4) + offset (8).
        let tensorCount = try reader.readCount(field: "tensor_count", minimumBytesEach: 32)
        // Smallest possible key/value: key length (8) + value type (4) + a one-byte value.
        let metadataCount = try reader.readCount(field: "metadata_kv_count", minimumBytesEach: 13)

        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(metadataCount)
        for index in 0..<metadataCount {
            let key = try reader.readString(field: "metadata[\(index)].key")
            let value = try reader.readValue(field: key, depth: 0)
            if values.updateValue(value, forKey: key) == nil { keys.append(key) }
        }
        metadataKeys = keys
        metadata = values

        let alignmentValue = values["general.alignment"]
        let alignment = alignmentValue?.int ?? 32
        guard alignment > 0, alignment <= 1 << 20, alignment & (alignment - 1) == 0 else {
            throw GGUFError(path: file.path, field: "general.alignment", problem: "found \(alignmentValue?.summary ?? "?"), expected a power of two")
        }
        self.alignment = alignment

        var infos: [GGUFTensorInfo] = []
        var byName: [String: Int] = [:]
        infos.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let info = try reader.readTensorInfo(index: index)
            guard byName.updateValue(index, forKey: info.name) == nil else {
                throw GGUFError(path: file.path, field: "tensor \(info.name)", problem: "appears twice, expected unique tensor names")
            }
            infos.append(info)
        }

        let (padded, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
        let dataOffset = overflow ? Int.max : padded / alignment * alignment
        guard dataOffset <= file.bytes.count || tensorCount == 0 else {
            throw GGUFError(path: file.path, field: "tensor data", problem: "starts at \(dataOffset), past the end of the \(file.bytes.count)-byte file (truncated?)")
        }
        self.dataOffset = dataOffset
        let dataSize = file.bytes.count - min(dataOffset, file.bytes.count)
        for info in infos {
            guard info.offset % alignment == 0 else {
                throw GGUFError(path: file.path, field: "tensor \(info.name).offset", problem: "\(info.offset) is not a multiple of the alignment \(alignment)")
            }
            // No `offset + byteCount` here, not even in the message: a hostile size near Int.max would overflow.
            guard info.offset <= dataSize, info.byteCount <= dataSize - info.offset else {
                throw GGUFError(
                    path: file.path, field: "tensor \(info.name)",
                    problem: "\(info.byteCount) bytes of data at offset \(info.offset) run past the end of the \(dataSize)-byte data section (truncated file?)")
            }
        }
        tensors = infos
        tensorsByName = byName
    }

    /// The tensor's bytes inside the mapping (no copy). Valid as long as this file is alive.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataOffset + tensor.offset)..<(dataOffset + tensor.offset + tensor.byteCount)])
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorsByName[name].map { tensors[$0] }
    }

    // MARK: - Typed metadata access

    public func string(_ key: String) throws(GGUFError) -> String {
        guard let value = metadata[key] else { throw missing(key, "a string") }
        guard let string = value.string else { throw wrongType(key, value, "a string") }
        return string
    }

    public func int(_ key: String) throws(GGUFError) -> Int {
        guard let value = metadata[key] else { throw missing(key, "an integer") }
        guard let int = value.int else {
            if case .uint64(let big) = value { throw GGUFError(path: path, field: key, problem: "\(big), expected at most \(Int.max)") }
            throw wrongType(key, value, "an integer")
        }
        return int
    }

    public func float(_ key: String) throws(GGUFError) -> Double {
        guard let value = metadata[key] else { throw missing(key, "a number") }
        guard let float = value.float else { throw wrongType(key, value, "a number") }
        return float
    }

    /// The value at `key` if present, checked to be of the expected kind; nil when absent.
    public func optionalInt(_ key: String) throws(GGUFError) -> Int? {
        guard metadata[key] != nil else { return nil }
        return try int(key)
    }

    public func optionalFloat(_ key: String) throws(GGUFError) -> Double? {
        guard metadata[key] != nil else { return nil }
        return try float(key)
    }

    public func optionalString(_ key: String) throws(GGUFError) -> String? {
        guard metadata[key] != nil else { return nil }
        return try string(key)
    }

    public func optionalBool(_ key: String) throws(GGUFError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let bool = value.bool else { throw wrongType(key, value, "a bool") }
        return bool
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        guard let value = metadata[key] else { throw missing(key, "an array of strings") }
        guard let array = value.array else { throw wrongType(key, value, "an array of strings") }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for element in array {
            guard let string = element.string else { throw wrongType(key, element, "an array of strings") }
            strings.append(string)
        }
        return strings
    }

    public func numberArray(_ key: String) throws(GGUFError) -> [Double] {
        guard let value = metadata[key] else { throw missing(key, "an array of numbers") }
        guard let array = value.array else { throw wrongType(key, value, "an array of numbers") }
        var numbers: [Double] = []
        numbers.reserveCapacity(array.count)
        for element in array {
            guard let number = element.float else { throw wrongType(key, element, "an array of numbers") }
            numbers.append(number)
        }
        return numbers
    }

    private func missing(_ key: String, _ expected: String) -> GGUFError {
        GGUFError(path: path, field: key, problem: "missing, expected \(expected)")
    }

    private func wrongType(_ key: String, _ value: GGUFValue, _ expected: String) -> GGUFError {
        GGUFError(path: path, field: key, problem: "is \(value.typeName), expected \(expected)")
    }
}

/// Where a tensor lives in the data section, and its shape and type.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: `dimensions[0]` is the row length (fastest-varying).
    public let dimensions: [Int]
    public let type: GGMLType
    /// Offset from the start of the data section.
    public let offset: Int
    public let elementCount: Int
    public let byteCount: Int

    public var rowLength: Int { dimensions.first ?? 1 }
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
}

/// A GGUF file that does not hold what the spec or the model requires. The description is one line
/// naming the file, the field and what was expected.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let field: String
    public let problem: String
    public init(path: String, field: String, problem: String) {
        self.path = path
        self.field = field
        self.problem = problem
    }
    public var description: String { "\(path): \(field): \(problem)" }
}

// MARK: - Bounds-checked reading

/// A cursor over the mapped bytes; every read checks the remaining length first.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0
    static let maximumDepth = 8

    var remaining: Int { bytes.count - offset }

    func error(_ field: String, _ problem: String) -> GGUFError {
        GGUFError(path: path, field: field, problem: problem)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, field: String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw error(field, "file ends at byte \(bytes.count), expected \(size) more bytes (truncated file?)")
        }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// A 64-bit count, checked to be plausible: each item needs at least `minimumBytesEach` bytes of the rest of the file.
    mutating func readCount(field: String, minimumBytesEach: Int) throws(GGUFError) -> Int {
        let raw = try read(UInt64.self, field: field)
        guard raw <= UInt64(remaining / max(minimumBytesEach, 1)) else {
            throw error(field, "\(raw) is more than the remaining \(remaining) bytes can hold (expected at most \(remaining / max(minimumBytesEach, 1)))")
        }
        return Int(raw)
    }

    mutating func readString(field: String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, field: field + " (string length)")
        guard length <= UInt64(remaining) else {
            throw error(field, "string length \(length) runs past the end of the file (\(remaining) bytes left)")
        }
        let start = offset
        offset += Int(length)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
    }

    mutating func readValue(field: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let type = try read(UInt32.self, field: field + " (value type)")
        return try readValue(ofType: type, field: field, depth: depth)
    }

    mutating func readValue(ofType type: UInt32, field: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try read(UInt8.self, field: field))
        case 1: return .int8(Int8(bitPattern: try read(UInt8.self, field: field)))
        case 2: return .uint16(try read(UInt16.self, field: field))
        case 3: return .int16(Int16(bitPattern: try read(UInt16.self, field: field)))
        case 4: return .uint32(try read(UInt32.self, field: field))
        case 5: return .int32(Int32(bitPattern: try read(UInt32.self, field: field)))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, field: field)))
        case 7:
            let byte = try read(UInt8.self, field: field)
            guard byte <= 1 else { throw error(field, "bool is \(byte), expected 0 or 1") }
            return .bool(byte == 1)
        case 8: return .string(try readString(field: field))
        case 9:
            guard depth < Self.maximumDepth else { throw error(field, "arrays nested deeper than \(Self.maximumDepth) levels") }
            let elementType = try read(UInt32.self, field: field + " (array element type)")
            let minimumSize: Int
            switch elementType {
            case 0, 1, 7: minimumSize = 1
            case 2, 3: minimumSize = 2
            case 4, 5, 6: minimumSize = 4
            case 8, 10, 11, 12: minimumSize = 8
            case 9: minimumSize = 12
            default: throw error(field, "array element type \(elementType) is unknown, expected 0...12")
            }
            let count = try readCount(field: field + " (array length)", minimumBytesEach: minimumSize)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                elements.append(try readValue(ofType: elementType, field: "\(field)[\(index)]", depth: depth + 1))
            }
            return .array(elements)
        case 10: return .uint64(try read(UInt64.self, field: field))
        case 11: return .int64(Int64(bitPattern: try read(UInt64.self, field: field)))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, field: field)))
        default: throw error(field, "value type \(type) is unknown, expected 0...12")
        }
    }

    mutating func readTensorInfo(index: Int) throws(GGUFError) -> GGUFTensorInfo {
        let name = try readString(field: "tensor[\(index)].name")
        let field = "tensor \(name)"
        let dimensionCount = try read(UInt32.self, field: field + ".n_dims")
        guard (1...4).contains(dimensionCount) else {
            throw error(field + ".n_dims", "\(dimensionCount), expected 1 to 4")
        }
        var dimensions: [Int] = []
        var elementCount = 1
        for axis in 0..<Int(dimensionCount) {
            let raw = try read(UInt64.self, field: "\(field).ne[\(axis)]")
            guard raw <= UInt64(Int.max) else { throw error("\(field).ne[\(axis)]", "\(raw) is too large") }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: Int(raw))
            guard !overflow else { throw error(field, "element count overflows (dimensions \(dimensions + [Int(raw)]))") }
            dimensions.append(Int(raw))
            elementCount = product
        }
        let rawType = try read(UInt32.self, field: field + ".type")
        guard let type = GGMLType(rawValue: rawType) else {
            throw error(field + ".type", "ggml type \(rawType) is unknown, expected one of \(GGMLType.allCases.map(\.name).joined(separator: ", "))")
        }
        guard dimensions[0] % type.blockSize == 0 else {
            throw error(field, "row length \(dimensions[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        guard let byteCount = type.byteCount(elements: elementCount) else {
            throw error(field, "size in bytes overflows (dimensions \(dimensions), \(type.name))")
        }
        let rawOffset = try read(UInt64.self, field: field + ".offset")
        guard rawOffset <= UInt64(bytes.count) else {
            throw error(field + ".offset", "\(rawOffset) is past the end of the \(bytes.count)-byte file")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: Int(rawOffset), elementCount: elementCount, byteCount: byteCount)
    }
}
