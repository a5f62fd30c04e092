import Foundation
import TandemCloud
import TandemCollaboration
import TandemEngine
import TandemModelStore
import TandemTestSupport
import TandemTokenizer

/// The real model pair, loaded once per test run: the 0.5B device and the 1.5B cloud, one
/// thread each (as on a phone and one cloud core), fetched through the model store.
actor Pair {
    static let shared = Pair()
    private var loaded: (device: Engine, cloud: CloudService)?

    func engines() async throws -> (device: Engine, cloud: CloudService) {
        if let loaded { return loaded }
        let device = try Engine(path: try await ModelStore().ensure(TestModel.qwen05.rawValue), threads: 1)
        let cloudEngine = try Engine(path: try await ModelStore().ensure(TestModel.qwen15.rawValue), threads: 1, batchInvariant: true)
        let cloud = CloudService(engine: cloudEngine, configuration: CloudConfiguration(modelName: TestModel.qwen15.rawValue))
        cloud.start()
        loaded = (device, cloud)
        return (device, cloud)
    }

    /// Generates with `mode` through the in-process cloud.
    func run(_ prompt: [TokenID], mode: CollaborationMode, maxTokens: Int = 24, policy: OffloadPolicy = OffloadPolicy(),
             stallFree: Bool = true, router: TokenRouter? = nil, chunkSize: Int = 4, syncThreshold: Int? = 8, pipelineDepth: Int = 4,
             wrap: (any CloudVerifier) -> any CloudVerifier = { $0 }) async throws -> CollaborationResult {
        let (device, cloud) = try await engines()
        // A generous timeout: these tests check identities, and a loaded CI machine must not
        // turn a slow answer into a fault (FaultTests cover those).
        let options = CollaborationOptions(mode: mode, maxTokens: maxTokens, policy: policy, chunkSize: chunkSize, stallFree: stallFree,
                                           timeout: 300, syncThreshold: syncThreshold, router: router, pipelineDepth: pipelineDepth)
        let decoder = CollaborativeDecoder(device: device, cloud: wrap(InProcessVerifier(service: cloud)), options: options)
        return try await decoder.run(prompt: prompt)
    }

    func chatPrompt(_ text: String) async throws -> [TokenID] {
        let tokenizer = try await engines().device.tokenizer
        return try tokenizer.encode(ChatTemplate.chatML.render([.user(text)], addGenerationPrompt: true), parseSpecial: true)
    }
}

/// Twenty short requests of the kinds Tandem serves: code, arithmetic, prose.
let identityPrompts = [
    "Write a Python function that reverses a string.",
    "Compute (23 + 48) * 3 - 17. Think step by step.",
    "What is the capital of France? Answer in one sentence.",
    "Write a Python function that returns the n-th Fibonacci number.",
    "Explain what a hash map is in two sentences.",
    "Compute 17 * 24 + 9. Think step by step.",
    "Write a SQL query that counts the rows of a table named users.",
    "Write a haiku about the sea.",
    "Write a Python function that checks whether a number is prime.",
    "List three sorting algorithms.",
    "Compute (91 - 38) * (12 + 5). Think step by step.",
    "Write a bash command that counts the lines of a file.",
    "What does HTTP stand for?",
    "Write a Python function that merges two sorted lists.",
    "Compute 144 / 12 + 7 * 3. Think step by step.",
    "Write a JavaScript function that capitalises a word.",
    "Name the planets of the solar system.",
    "Write a Python class for a stack with push and pop.",
    "Compute (56 + 44) * (7 - 2). Think step by step.",
    "Write a regular expression that matches an email address.",
]
