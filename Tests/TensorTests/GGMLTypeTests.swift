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
