// The hot paths of llmrun on one thread, with ordo-one/benchmark (Benchmarks/README.md has the command
// and what each figure means). Weights are synthetic, so that every catalog quant type is measured at the
// same realistic shape; the tokenizer benchmarks read the catalog models from the model cache and article
// 001 from ../shared/articles, and are skipped with a note when either is missing.
import Benchmark
import Foundation
import Tensor
// Scoped imports: Transformer's own `Benchmark` (llama-bench-style throughput) would clash with the package's.
import func Transformer.makeTokenizer
import protocol Transformer.Tokenizer
import class Transformer.GGUFFile
import struct ModelStore.ModelCatalog
import struct ModelStore.ModelStore

/// qwen2.5-1.5b's ffn_up / ffn_gate: 8960 output rows of 1536 inputs (a whole number of blocks of 32 and 256).
let matrixRows = 8960
let matrixColumns = 1536
/// Prompt tokens per GEMM call in the prefill benchmark (more than the panel GEMM's 16-column minimum).
let prefillColumns = 64
/// The catalog models' weight types, and the non-linear 4-bit types llama-quantize makes.
let weightTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q8_0, .q4_K, .q6_K, .iq4_nl, .iq4_xs]
let tokenizerArticle = "001_ce9d5f84450590d7.txt"

/// Byte offsets of each block's f16 scale and minimum fields (the layout tables in Sources/Tensor/Quant).
func scaleOffsets(_ type: GGMLType) -> [Int] {
    switch type {
    case .q4_1, .q4_K: [0, 2]
    case .q6_K: [208]
    default: [0]
    }
}

/// A reproducible xorshift stream, so that runs measure the same data.
struct XorShift {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    /// Uniform in [-1, 1].
    mutating func unit() -> Float { Float(Int(next() % 2001) - 1000) / 1000 }
}

/// Random quants with small, normal f16 scales (about 0.004): random scale bytes could be NaN, infinite
/// or subnormal, which no real model has and which would measure something else.
final class SyntheticMatrix: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    let matrix: WeightMatrix

    init(type: GGMLType, rows: Int, columns: Int) {
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        storage = .allocate(byteCount: rowBytes * rows, alignment: 64)
        var random = XorShift()
        for i in 0..<storage.count { storage[i] = UInt8(truncatingIfNeeded: random.next()) }
        let smallScale = Float16(0.0039).bitPattern
        var block = 0
        while block + type.bytesPerBlock <= storage.count {
            for offset in scaleOffsets(type) {
                storage[block + offset] = UInt8(smallScale & 0xFF)
                storage[block + offset + 1] = UInt8(smallScale >> 8)
            }
            block += type.bytesPerBlock
        }
        let plain = WeightMatrix(type: type, rows: rows, columns: columns, bytes: UnsafeRawBufferPointer(storage))
        // The layout a model loads this type into (rows interleaved by 8 for Q4_K and Q6_K).
        matrix = plain.interleaved() ?? plain
    }

    deinit { storage.deallocate() }
}

/// Owned float buffers for inputs and outputs.
final class Floats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>

    init(_ count: Int, random: inout XorShift) {
        pointer = .allocate(capacity: count)
        for i in 0..<count { pointer[i] = random.unit() }
    }

    deinit { pointer.deallocate() }
}

/// An owned f16 buffer (a KV cache).
final class HalfFloats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float16>

    init(_ count: Int, random: inout XorShift) {
        pointer = .allocate(capacity: count)
        for i in 0..<count { pointer[i] = Float16(random.unit()) }
    }

    deinit { pointer.deallocate() }
}

/// `../shared/articles` beside the repository (or `$LLMRUN_ARTICLES`), found by walking up from this file.
func articlesFolder() -> URL? {
    if let path = ProcessInfo.processInfo.environment["LLMRUN_ARTICLES"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("shared/articles")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    return nil
}

func note(_ message: String) {
    FileHandle.standardError.write(Data("KernelBenchmarks: \(message)\n".utf8))
}

let benchmarks: @Sendable () -> Void = {
    let kernelConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 1000
    )
    let pool = ThreadPool(threadCount: 1)
    let workspace = Workspace()
    var random = XorShift()
    let input = Floats(matrixColumns * prefillColumns, random: &random)
    let output = Floats(matrixRows * prefillColumns, random: &random)

    for type in weightTypes {
        let weights = SyntheticMatrix(type: type, rows: matrixRows, columns: matrixColumns)
        let megabytes = String(format: "%.1f MB", Double(weights.storage.count) / 1e6)
        // Decode: one activation vector, quantized to 8-bit blocks and multiplied (llk_matvec).
        Benchmark("matvec \(type.name) \(matrixRows)x\(matrixColumns) (\(megabytes))", configuration: kernelConfiguration) { benchmark in
            for _ in benchmark.scaledIterations {
                weights.matrix.multiply(input.pointer, into: output.pointer, pool: pool, workspace: workspace)
            }
            blackHole(output.pointer[0])
        }
        // Prefill: 64 activation rows through the panel GEMM (llk_gemm).
        Benchmark("gemm \(type.name) \(matrixRows)x\(matrixColumns) x \(prefillColumns) columns", configuration: kernelConfiguration) { benchmark in
            for _ in benchmark.scaledIterations {
                weights.matrix.multiply(input.pointer, count: prefillColumns, into: output.pointer, pool: pool, workspace: workspace)
            }
            blackHole(output.pointer[0])
        }
    }

    // RMSNorm of the 64 prefill rows (qwen2.5-1.5b's width); the norm sums in double, as ggml's does.
    let normWeight = Floats(matrixColumns, random: &random)
    Benchmark("rmsNorm \(prefillColumns) rows x \(matrixColumns)", configuration: kernelConfiguration) { benchmark in
        for _ in benchmark.scaledIterations {
            rmsNorm(input.pointer, weight: normWeight.pointer, into: output.pointer, width: matrixColumns, rows: prefillColumns,
                    epsilon: 1e-6)
        }
        blackHole(output.pointer[0])
    }

    // Attention of one new token over 512 cached positions (qwen2.5-1.5b: 12 query heads, 2 kv heads of
    // 128): the online softmax of the scores and the f16 weighted sum of the values (llk_attention_heads).
    let positions = 512, headCount = 12, kvHeadCount = 2, headDim = 128
    let keys = HalfFloats(positions * kvHeadCount * headDim, random: &random)
    let values = HalfFloats(positions * kvHeadCount * headDim, random: &random)
    let query = Floats(headCount * headDim, random: &random)
    let scratch = Floats(attentionScratchCount(headDim: headDim, group: headCount / kvHeadCount, threads: 1), random: &random)
    Benchmark("attention softmax 1 token x \(positions) positions, \(headCount)/\(kvHeadCount) heads x \(headDim)",
              configuration: kernelConfiguration) { benchmark in
        for _ in benchmark.scaledIterations {
            causalAttention(queries: query.pointer, count: 1, start: positions - 1, keys: keys.pointer, values: values.pointer, cacheCapacity: positions,
                            headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim, scale: 1 / Float(headDim).squareRoot(),
                            window: nil, into: output.pointer, scratch: scratch.pointer, pool: pool)
        }
        blackHole(output.pointer[0])
    }

    registerMemoryBenchmarks()
    registerTokenizerBenchmarks()
}

/// STREAM-like reads: 256 MB (far beyond the caches) summed in 64-byte vectors, on one thread and on two:
/// the ceiling of a decode kernel, which streams its weights once per token. GB/s = runs per second × 0.268.
func registerMemoryBenchmarks() {
    let vectors = (256 << 20) / MemoryLayout<SIMD8<UInt64>>.stride
    let memory = UnsafeMutableBufferPointer<SIMD8<UInt64>>.allocate(capacity: vectors)
    memory.initialize(repeating: SIMD8(repeating: 1))
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .throughput], timeUnits: .milliseconds,
                                                warmupIterations: 1, maxDuration: .seconds(3), maxIterations: 100)
    for threads in [1, 2] {
        let pool = ThreadPool(threadCount: threads)
        Benchmark("memory read 256 MB, \(threads) thread\(threads == 1 ? "" : "s")", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                pool.parallelFor(vectors, granularity: 1024) { range in
                    // Four independent sums, so that the loads, not the additions' latency, set the pace.
                    var s0 = SIMD8<UInt64>(), s1 = s0, s2 = s0, s3 = s0
                    for i in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                        s0 &+= memory[i]; s1 &+= memory[i + 1]; s2 &+= memory[i + 2]; s3 &+= memory[i + 3]
                    }
                    blackHole(s0 &+ s1 &+ s2 &+ s3)
                }
            }
        }
    }
}

/// Encode of article 001 with each catalog model's tokenizer (load excluded), as issue 4 asks: under 30 ms
/// on one core. `Benchmarks/tokenize_compare.py` sets the same figure beside llama.cpp's.
func registerTokenizerBenchmarks() {
    guard let folder = articlesFolder() else {
        note("no shared/articles above \(#filePath) and no LLMRUN_ARTICLES: tokenizer benchmarks skipped")
        return
    }
    let articleURL = folder.appendingPathComponent(tokenizerArticle)
    guard let data = FileManager.default.contents(atPath: articleURL.path), let article = String(validating: data, as: UTF8.self) else {
        note("\(articleURL.path) is missing or not UTF-8: tokenizer benchmarks skipped")
        return
    }
    let catalog: ModelCatalog
    do { catalog = try ModelCatalog.bundled() } catch {
        note("cannot read the model catalog (\(error)): tokenizer benchmarks skipped")
        return
    }
    let store = ModelStore(catalog: catalog)
    for entry in catalog.models {
        guard store.isPresent(entry) else {
            note("\(entry.name) is not pulled (llmrun pull \(entry.name)): its tokenizer benchmark is skipped")
            continue
        }
        let tokenizer: any Tokenizer
        do { tokenizer = try makeTokenizer(gguf: try GGUFFile(path: store.modelURL(entry).path)) } catch {
            note("\(entry.name): cannot load the tokenizer (\(error)): skipped")
            continue
        }
        Benchmark("encode article 001 (\(data.count) bytes) \(entry.name)", configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            timeUnits: .milliseconds,
            warmupIterations: 2,
            maxDuration: .seconds(3),
            maxIterations: 100
        )) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(tokenizer.encode(article, addBOS: tokenizer.addsBOS, parseSpecial: false))
            }
        }
    }
}
