import Foundation

/// The local path of the named model's GGUF file (e.g. "qwen2.5-coder-0.5b-instruct").
///
/// The file may not exist; tests that need it check and skip.
func modelPath(_ name: String) async throws -> String {
    // TODO: ModelStore — switch to `try await ModelStore().ensure(name)` once TandemModelStore has it.
    NSHomeDirectory() + "/.cache/tandem/models/\(name).gguf"
}
