// swift-tools-version: 6.1
// An app that uses llmrun as a library: depends on it by path, as another package would by URL.
import PackageDescription

let package = Package(
    name: "SummarizeExample",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "llmrun", path: "../..")],
    targets: [
        .executableTarget(name: "SummarizeExample", dependencies: [
            .product(name: "ModelStore", package: "llmrun"),
            .product(name: "Reading", package: "llmrun"),
            .product(name: "Transformer", package: "llmrun"),
        ]),
    ]
)
