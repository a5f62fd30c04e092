import Foundation
import TandemModelStore

/// The path of the named model's GGUF file (e.g. "qwen2.5-coder-0.5b-instruct"), fetched
/// through the model store when it is not cached yet.
func modelPath(_ name: String) async throws -> String {
    try await ModelStore().ensure(name)
}
