// swift-tools-version: 6.1
// Tandem: LLM generation split between a small on-device model and a large cloud model.
// Targets follow the data flow in DESIGN.md; a module never imports one further down the flow.
import PackageDescription

let package = Package(
    name: "Tandem",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tandem", targets: ["tandem"]),
        .library(name: "TandemGGUF", targets: ["TandemGGUF"]),
        .library(name: "TandemTokenizer", targets: ["TandemTokenizer"]),
        .library(name: "TandemKernels", targets: ["TandemKernels"]),
        .library(name: "TandemEngine", targets: ["TandemEngine"]),
        .library(name: "TandemModelStore", targets: ["TandemModelStore"]),
        .library(name: "TandemProtocol", targets: ["TandemProtocol"]),
        .library(name: "TandemCloud", targets: ["TandemCloud"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // File format: memory-mapped GGUF reader, validation, writer.
        .target(name: "TandemGGUF"),
        // Text <-> token ids: byte-level BPE, pre-tokenizers, chat template.
        .target(name: "TandemTokenizer", dependencies: ["TandemGGUF"]),
        // Quantised block layouts, dot products, norms, thread pool.
        .target(name: "CTandemKernels"),
        .target(name: "TandemKernels", dependencies: ["TandemGGUF", "CTandemKernels"]),
        // Models on the kernels: llama/qwen2 forward over many sequences, KV caches, sampling, generation.
        .target(name: "TandemEngine", dependencies: ["TandemGGUF", "TandemTokenizer", "TandemKernels"]),
        // Named models, their sources and checksums, verified fetch into the cache.
        .target(name: "TandemModelStore", dependencies: [
            "TandemGGUF",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // Wire types of the Tandem device-cloud protocol (docs/PROTOCOL.md); no dependencies.
        .target(name: "TandemProtocol"),
        // Cloud side without HTTP: device sessions and their KV caches, the step scheduler
        // (a pure state machine), the driver thread that runs it on the engine, metrics.
        .target(name: "TandemCloud", dependencies: ["TandemEngine", "TandemTokenizer", "TandemProtocol"]),
        // Command implementations; the executable only calls into this.
        .target(name: "TandemCLI", dependencies: [
            "TandemGGUF", "TandemTokenizer", "TandemEngine", "TandemModelStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "tandem", dependencies: ["TandemCLI"]),

        // Shared by the test targets: the test models (fetched through the store) and golden files.
        .target(name: "TandemTestSupport", dependencies: ["TandemModelStore"], path: "Tests/TandemTestSupport"),
        .testTarget(name: "TandemGGUFTests", dependencies: ["TandemGGUF", "TandemTestSupport"]),
        .testTarget(name: "TandemTokenizerTests", dependencies: ["TandemTokenizer", "TandemGGUF", "TandemTestSupport"]),
        .testTarget(name: "TandemKernelsTests", dependencies: ["TandemKernels", "TandemTestSupport"]),
        .testTarget(name: "TandemEngineTests", dependencies: ["TandemEngine", "TandemTokenizer", "TandemGGUF", "TandemKernels", "TandemModelStore", "TandemTestSupport"]),
        .testTarget(name: "TandemModelStoreTests", dependencies: ["TandemModelStore", "TandemGGUF"]),
        .testTarget(name: "TandemCloudTests", dependencies: ["TandemCloud", "TandemProtocol", "TandemEngine", "TandemTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
