import CKernels
import Tensor
import Testing
import TestSupport

/// The two ways the one-token form of attention keeps its f16 sum of weighted values (`AttentionArithmetic`).
struct AttentionArithmeticTests {
    /// The last of 40 tokens attending over the cache: 4 query heads over 2 kv heads, random queries, keys and values.
    static func attend(headDim: Int, arithmetic: AttentionArithmetic) -> [Float] {
        let (heads, kvHeads, positions) = (4, 2, 40)
        var generator = SplitMix64(state: UInt64(headDim))
        func uniform(_ spread: Float) -> Float { (generator.uniform() * 2 - 1) * spread }
        let queries = (0..<heads * headDim).map { _ in uniform(2) }
        let keys = (0..<positions * kvHeads * headDim).map { _ in Float16(uniform(1)) }
        let values = (0..<positions * kvHeads * headDim).map { _ in Float16(uniform(4)) }
        let pool = ThreadPool(threadCount: 1)
        var scratch = [Float](repeating: 0, count: attentionScratchCount(headDim: headDim, group: heads / kvHeads, threads: 1))
        var out = [Float](repeating: 0, count: heads * headDim)
        causalAttention(queries: queries, count: 1, start: positions - 1, keys: keys, values: values, headCount: heads,
                        kvHeadCount: kvHeads, headDim: headDim, scale: 1 / Float(headDim).squareRoot(), window: nil,
                        arithmetic: arithmetic, into: &out, scratch: &scratch, pool: pool)
        return out
    }

    /// Head size 128 is one step of llama.cpp's native-f16 loop; 192 adds 64 elements that its leftover loop keeps
    /// in f32 lanes. The emulation gives the AVX512-FP16 instructions' bits (where the CPU has none, `nativeF16`
    /// runs the emulation too), and both differ from the f32 lanes somewhere, or this test could not tell them apart.
    @Test(arguments: [128, 192])
    func emulationGivesTheInstructionsBits(headDim: Int) {
        let native = Self.attend(headDim: headDim, arithmetic: .nativeF16)
        #expect(native == Self.attend(headDim: headDim, arithmetic: .nativeF16Emulated))
        let f32Lanes = Self.attend(headDim: headDim, arithmetic: .f32Lanes)
        #expect(native != f32Lanes)
        // Past the native step the elements are the f32 lanes' own.
        for head in 0..<4 {
            #expect(native[(head * headDim + 128)..<((head + 1) * headDim)] == f32Lanes[(head * headDim + 128)..<((head + 1) * headDim)])
        }
    }

    /// Under 128 elements llama.cpp's native-f16 loop never runs: every arithmetic gives the f32 lanes' bits.
    @Test func headsUnder128KeepTheF32Lanes() {
        #expect(Self.attend(headDim: 64, arithmetic: .nativeF16) == Self.attend(headDim: 64, arithmetic: .f32Lanes))
        #expect(Self.attend(headDim: 64, arithmetic: .nativeF16Emulated) == Self.attend(headDim: 64, arithmetic: .f32Lanes))
    }
}
