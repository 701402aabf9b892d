import Foundation
import CKernels
@testable import Tensor
import Testing
import TestSupport

/// The one-token form of attention: its two ways of keeping the f16 sum of weighted values (`AttentionArithmetic`),
/// and where llama.cpp splits it among threads.
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
        causalAttention(queries: queries, count: 1, start: positions - 1, keys: keys, values: values, cacheCapacity: positions, headCount: heads,
                        kvHeadCount: kvHeads, headDim: headDim, scale: 1 / Float(headDim).squareRoot(), window: nil,
                        arithmetic: arithmetic, into: &out, scratch: &scratch, pool: pool)
        return out
    }

    /// The attention's four-at-a-time expf gives libm's (glibc's) bits on floats x <= 0: +0, every 61st bit pattern from -0
    /// to -inf (35 million), the ends of the range where the result is subnormal or 0, and odd counts (the tail).
    @Test func expfOfNonpositiveValuesHasLibmsBits() {
        var inputs: [Float] = [0.0, -0.0, -.infinity, -0x1.9fe368p6, -0x1.9fe36ap6, -0x1.9fe366p6, -87.33655, -88.0, -103.0, -1e-45, -.ulpOfOne]
        var pattern: UInt32 = 0x8000_0000
        while pattern < 0xFF80_0000 {
            inputs.append(Float(bitPattern: pattern))
            pattern += 61
        }
        var mismatches = 0
        var outputs = [Float](repeating: 0, count: 4096)
        var start = 0
        while start < inputs.count {
            // 4093: the last call of each batch takes the tail.
            let count = min(4093, inputs.count - start)
            inputs.withUnsafeBufferPointer { llk_expf_nonpositive($0.baseAddress! + start, &outputs, Int64(count)) }
            for i in 0..<count where outputs[i].bitPattern != expf(inputs[start + i]).bitPattern { mismatches += 1 }
            start += count
        }
        #expect(inputs.count > 35_000_000)
        #expect(mismatches == 0)
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

    /// llama.cpp's split form starts once the filled slots, rounded up to 256, reach 512 (within a context that holds
    /// them, itself rounded up to 256), and divides those slots among its threads.
    @Test func theSplitFormStartsAt512Slots() {
        #expect(splitChunk(position: 255, cacheCapacity: 4096, threads: 2) == 0)
        #expect(splitChunk(position: 256, cacheCapacity: 4096, threads: 2) == 256)
        #expect(splitChunk(position: 600, cacheCapacity: 4096, threads: 2) == 384)
        #expect(splitChunk(position: 600, cacheCapacity: 4096, threads: 3) == 256)
        #expect(splitChunk(position: 300, cacheCapacity: 300, threads: 2) == 256)
        #expect(splitChunk(position: 200, cacheCapacity: 256, threads: 2) == 0)
    }
}
