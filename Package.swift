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
        .library(name: "TandemServer", targets: ["TandemServer"]),
        .library(name: "TandemCollaboration", targets: ["TandemCollaboration"]),
        .library(name: "TandemEval", targets: ["TandemEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
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
        // HTTP: Tandem protocol routes, OpenAI/vLLM/SGLang-compatible routes, health, metrics.
        .target(name: "TandemServer", dependencies: [
            "TandemCloud", "TandemProtocol", "TandemEngine", "TandemTokenizer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Device side: the collaborative decoder, offload policies, cloud verifiers
        // (in-process, Tandem HTTP), the emulated network link.
        .target(name: "TandemCollaboration", dependencies: [
            "TandemEngine", "TandemTokenizer", "TandemProtocol", "TandemCloud",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Tasks with checkable answers: generated arithmetic, HumanEval-format problems.
        // Runs them through the collaborative decoder: sandboxed execution, summaries, SVG charts.
        .target(name: "TandemEval", dependencies: ["TandemCollaboration", "TandemEngine", "TandemTokenizer"]),
        // Command implementations; the executable only calls into this.
        .target(name: "TandemCLI", dependencies: [
            "TandemGGUF", "TandemTokenizer", "TandemEngine", "TandemModelStore", "TandemProtocol", "TandemCloud", "TandemServer", "TandemCollaboration", "TandemEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "tandem", dependencies: ["TandemCLI"]),

        // Shared by the test targets: the test models (fetched through the store) and golden files.
        .target(name: "TandemTestSupport", dependencies: ["TandemModelStore"], path: "Tests/TandemTestSupport"),
        .testTarget(name: "TandemGGUFTests", dependencies: ["TandemGGUF", "TandemTestSupport"]),
        .testTarget(name: "TandemTokenizerTests", dependencies: ["TandemTokenizer", "TandemGGUF", "TandemTestSupport"]),
        .testTarget(name: "TandemKernelsTests", dependencies: ["TandemKernels", "TandemTestSupport"]),
        .testTarget(name: "TandemEngineTests", dependencies: ["TandemEngine", "TandemTokenizer", "TandemGGUF", "TandemKernels", "TandemModelStore", "TandemTestSupport"]),
        .testTarget(name: "TandemModelStoreTests", dependencies: ["TandemModelStore", "TandemGGUF"]),
        .testTarget(name: "TandemEvalTests", dependencies: [
            "TandemEval", "TandemCollaboration", "TandemCloud", "TandemEngine", "TandemTokenizer", "TandemModelStore", "TandemTestSupport",
        ]),
        .testTarget(name: "TandemCollaborationTests", dependencies: [
            "TandemCollaboration", "TandemCloud", "TandemServer", "TandemProtocol", "TandemEngine", "TandemTokenizer", "TandemModelStore",
            "TandemTestSupport",
        ]),
        .testTarget(name: "TandemCloudTests", dependencies: ["TandemCloud", "TandemProtocol", "TandemEngine", "TandemTestSupport"]),
        .testTarget(name: "TandemServerTests", dependencies: [
            "TandemServer", "TandemCloud", "TandemProtocol", "TandemEngine", "TandemTestSupport", "TandemCLI",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
