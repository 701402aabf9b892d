/// Token texts stored back to back as bytes, with an open-addressing hash index from text to id.
///
/// Keys are bytes, not `String`s: Swift compares strings by canonical equivalence, so two distinct
/// vocabulary entries such as "é" (U+00E9) and "e\u{301}" would collide in a `[String: Int32]`.
/// Lookups take a byte range, so the tokenizers never build temporary strings on hot paths.
struct TokenTextTable: Sendable {
    private(set) var bytes: [UInt8] = []
    /// `offsets[id]..<offsets[id + 1]` is the text of `id`.
    private(set) var offsets: [Int32] = [0]
    /// Slots hold id + 1; 0 marks an empty slot.
    private var slots: [Int32] = []
    private var mask = 0

    var count: Int { offsets.count - 1 }

    init(texts: [[UInt8]]) {
        bytes.reserveCapacity(texts.reduce(0) { $0 + $1.count })
        offsets.reserveCapacity(texts.count + 1)
        for text in texts {
            bytes.append(contentsOf: text)
            offsets.append(Int32(bytes.count))
        }
        var capacity = 16
        while capacity < texts.count * 2 { capacity <<= 1 }
        slots = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
        // Like llama.cpp's `token_to_id[word] = i`, a later duplicate text wins.
        for id in 0..<texts.count {
            insert(id: id)
        }
    }

    func text(of id: Int) -> ArraySlice<UInt8> {
        bytes[Int(offsets[id])..<Int(offsets[id + 1])]
    }

    func length(of id: Int) -> Int {
        Int(offsets[id + 1] - offsets[id])
    }

    func id(of text: some Collection<UInt8>) -> Int32? {
        var copy = Array(text)
        return copy.withUnsafeMutableBufferPointer { id(of: UnsafeBufferPointer($0)) }
    }

    /// The id whose text equals `text`, if any.
    func id(of text: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Self.hash(text) & mask
        return bytes.withUnsafeBufferPointer { storage in
            offsets.withUnsafeBufferPointer { offsets in
                slots.withUnsafeBufferPointer { slots in
                    while true {
                        let entry = slots[slot]
                        if entry == 0 { return nil }
                        let id = Int(entry - 1)
                        let start = Int(offsets[id])
                        let end = Int(offsets[id + 1])
                        if end - start == text.count,
                           text.count == 0 || memoryEqual(storage.baseAddress! + start, text.baseAddress!, text.count) {
                            return Int32(id)
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    private mutating func insert(id: Int) {
        let start = Int(offsets[id])
        let end = Int(offsets[id + 1])
        let hash = bytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[start..<end])) }
        var slot = hash & mask
        while slots[slot] != 0 {
            let other = Int(slots[slot] - 1)
            if text(of: other) == bytes[start..<end] {
                slots[slot] = Int32(id + 1)
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(id + 1)
    }

    /// FNV-1a, 64-bit: token texts are short, so a simple byte loop is fast enough.
    @inline(__always)
    static func hash(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}

@inline(__always)
private func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for index in 0..<count where a[index] != b[index] { return false }
    return true
}
