import Foundation
import TandemEngine
import TandemKernels
import TandemModelStore
import TandemTestSupport
import Testing

/// Engines load once per test run (fetching the model through the store when missing).
actor EngineCache {
    static let shared = EngineCache()
    private var engines: [String: Engine] = [:]

    /// `TANDEM_TEST_BACKEND` (reference, portable, avx2, avx512) overrides the default backend.
    func engine(_ model: TestModel, backend requested: KernelBackend? = nil) async throws -> Engine {
        let override = ProcessInfo.processInfo.environment["TANDEM_TEST_BACKEND"].flatMap(KernelBackend.init(rawValue:))
        let backend = requested ?? override ?? .best
        let key = "\(model.rawValue)/\(backend)"
        if let engine = engines[key] { return engine }
        let path = try await ModelStore().ensure(model.rawValue)
        let engine = try Engine(path: path, backend: backend)
        engines[key] = engine
        return engine
    }
}

