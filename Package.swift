// swift-tools-version: 6.1
import PackageDescription

// No target takes unsafeFlags, so that other packages can depend on this one (Examples/Summarize does). The C
// kernels carry their own ISA targets (AVX2 baseline; AVX-512/VNNI chosen at run time), and the build chooses the
// optimization level: `make build` and `make test` pass -Xcc -O3 (and -Xswiftc -O to the debug test build, which
// runs real models).

// Fuzz targets (Fuzz/README.md). `make fuzz` builds them with `-sanitize=fuzzer,address -DFUZZING`, which
// makes each a libFuzzer binary; in every other build each is a small program that replays the inputs named
// on its command line, so ordinary builds link without libFuzzer and a finding reproduces without it.
let fuzzTargets = ["FuzzGGUF", "FuzzTokenizer", "FuzzDetokenizer", "FuzzTextDecoder", "FuzzTextCleaner", "FuzzRequestBody"]

let package = Package(
    name: "llmrun",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "llmrun", targets: ["llmrun"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "ModelStore", targets: ["ModelStore"]),
        .library(name: "Reading", targets: ["Reading"]),
        .library(name: "Tensor", targets: ["Tensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // No default traits: llmrun configures the server from its own options, not swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Quantized dot kernels in C: AVX2 baseline, AVX-512/VNNI variants chosen at run time (CPUID). The code
        // carries its ISA targets (CKernels/block_simd.h) and these two targets take no unsafeFlags, so that
        // other packages can depend on Tensor; the optimization level comes from the build (`make test`:
        // -Xcc -O3 -Xswiftc -O).
        .target(name: "CKernels"),
        .target(
            name: "Tensor",
            dependencies: ["CBLAS", "CKernels"],
            exclude: ["README.md"]
        ),
        // The model catalog: models/catalog.json, bundled with the binary.
        .target(
            name: "ModelCatalog",
            path: "models",
            exclude: ["README.md"],
            resources: [.copy("catalog.json")]
        ),
        // The engine: GGUF reader, tokenizers, architectures, KV cache, generation, sampling, chat templates.
        .target(
            name: "Transformer",
            dependencies: ["Tensor"],
            exclude: ["README.md"]
        ),
        // The model store beside the engine: the catalog and `pull` (PyPI wheels, ZIP, sha256).
        .target(
            name: "ModelStore",
            dependencies: [
                "ModelCatalog",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["README.md"]
        ),
        // The reading pipeline on top of the engine: text intake and cleaning, sentences, summarize, ask, chat.
        .target(
            name: "Reading",
            dependencies: ["Transformer"],
            exclude: ["README.md"]
        ),
        // `llmrun serve`: the OpenAI-compatible HTTP server (routes, request validation, inference slots),
        // and the web page it serves at `/`, compiled into the binary (no resource bundle to lose).
        .target(
            name: "Server",
            dependencies: [
                "Reading",
                "ModelStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            resources: [.embedInCode("Web/index.html"), .embedInCode("Web/app.css"), .embedInCode("Web/app.js")]
        ),
        .executableTarget(
            name: "llmrun",
            dependencies: [
                "Reading",
                "ModelStore",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TensorTests",
            dependencies: ["Tensor", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // Helpers shared by the test targets (catalog models, the shared articles).
        .target(name: "TestSupport", dependencies: ["ModelStore"], path: "Tests/TestSupport"),
        .testTarget(
            name: "TransformerTests",
            dependencies: ["Transformer", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ModelStoreTests",
            dependencies: [
                "ModelStore",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(
            name: "ReadingTests",
            dependencies: ["Reading", "ModelStore", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "Reading", "ModelStore"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["llmrun"]
        ),
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                "Tensor",
                "Transformer",
                "ModelStore",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", "Reading", "ModelStore"], path: "Fuzz/FuzzSupport"),
    ] + fuzzTargets.map { name in
        // FuzzRequestBody runs the server's request preparation; the others need the library only.
        let server: [Target.Dependency] = name == "FuzzRequestBody" ? ["Server"] : []
        return .executableTarget(name: name, dependencies: ["FuzzSupport", "Reading"] + server, path: "Fuzz/\(name)")
    }
)
