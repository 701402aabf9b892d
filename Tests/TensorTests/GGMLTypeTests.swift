import Testing
@testable import Tensor

@Test func blockGeometryIsConsistent() {
    for type in GGMLType.allCases {
        #expect(type.byteCount(elements: type.blockSize) == type.bytesPerBlock)
        #expect(type.byteCount(elements: type.blockSize + 1) == (type.blockSize == 1 ? 2 * type.bytesPerBlock : nil))
    }
    #expect(GGMLType.q4_K.byteCount(elements: 896) == nil)
    #expect(GGMLType.q4_K.byteCount(elements: 1536) == 6 * 144)
}

/// Every case has its record in CKernels' type table (the one place block geometry is written), and each
/// Swift block layout agrees with it.
@Test func everyTypeHasATableRecord() {
    for type in GGMLType.allCases {
        #expect(type.traits.pointee.name != nil, "ggml type \(type.rawValue) has no record in traits.c")
        guard type.traits.pointee.name != nil else { continue }
        #expect(type.blockSize > 0 && type.bytesPerBlock > 0, "\(type.name)")
        if let format = type.blockFormat {
            #expect(format.type == type)
            #expect(format.elementCount == type.blockSize && format.byteCount == type.bytesPerBlock, "\(type.name)")
        }
    }
    #expect(GGMLType.q4_K.name == "Q4_K" && GGMLType.q5_0.bytesPerBlock == 22 && GGMLType.bf16.bytesPerBlock == 2)
    // ggml's static_asserts: block_iq4_nl is d + 16 bytes of indices, block_iq4_xs d + scales_h + scales_l[4] + qs[128].
    #expect(GGMLType.iq4_nl.name == "IQ4_NL" && GGMLType.iq4_nl.blockSize == 32 && GGMLType.iq4_nl.bytesPerBlock == 18)
    #expect(GGMLType.iq4_xs.name == "IQ4_XS" && GGMLType.iq4_xs.blockSize == 256 && GGMLType.iq4_xs.bytesPerBlock == 136)
    #expect(GGMLType.iq4_nl.blockFormat != nil && GGMLType.iq4_xs.blockFormat != nil)
}
