import Testing
@testable import Transformer

/// How `Session.evaluate` cuts a prompt: along llama.cpp's ubatches of 512, with no batch under 64 tokens that
/// llama.cpp's would not have (such a batch takes the one-token form of attention, 64 or more the tiled form).
struct PromptBatchesTests {
    static func sizes(_ count: Int, capacity: Int = 128) -> [Int] {
        Session.promptBatches(count: count, capacity: capacity).map(\.count)
    }

    @Test func batchesCoverThePromptInOrder() {
        for count in [1, 63, 64, 150, 300, 512, 513, 1100] {
            let batches = Session.promptBatches(count: count, capacity: 128)
            #expect(batches.first?.lowerBound == 0 && batches.last?.upperBound == count)
            #expect(zip(batches, batches.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(batches.allSatisfy { $0.count <= 128 })
        }
    }

    @Test func noBatchUnder64UnlessLlamaCppsIs() {
        #expect(Self.sizes(150) == [86, 64])
        #expect(Self.sizes(300) == [128, 108, 64])
        #expect(Self.sizes(200) == [128, 72])
        #expect(Self.sizes(512) == [128, 128, 128, 128])
        // 513 is a ubatch of 512 and one of 1: llama.cpp's lone last token is one here too.
        #expect(Self.sizes(513) == [128, 128, 128, 128, 1])
        #expect(Self.sizes(40) == [40])
        #expect(Self.sizes(600, capacity: 512) == [512, 88])
    }

    /// Too small a capacity to keep 64 tokens together: plain batches of that size.
    @Test func smallCapacitiesCutPlainly() {
        #expect(Self.sizes(12, capacity: 5) == [5, 5, 2])
    }
}
