#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated GGUF file, memory-mapped read-only.
///
/// Opening parses and checks the whole header (see `GGUFParser`); afterwards every
/// tensor's bytes are known to lie inside the mapping, so `withTensorData` needs no checks.
/// Tensor data stays in the page cache and is never copied. Immutable and `Sendable`;
/// the mapping lives as long as the object.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: GGUFMetadata
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataStart: Int
    public let fileSize: Int

    /// Most metadata values a file may hold: pairs plus array elements, nested ones included.
    /// Real models hold about a million (vocabulary, scores, token types, merges); the limit
    /// bounds decoded metadata to a few hundred MB however a count is corrupted.
    public static let maxMetadataValues = 1 << 24
    /// Most tensors a file may hold (real models: hundreds to tens of thousands).
    public static let maxTensorCount = 1 << 20

    private let base: UnsafeRawPointer?
    private let tensorIndex: [String: Int]

    /// Maps and validates the file at `path`. Throws `GGUFError` for anything malformed.
    public init(path: String) throws(GGUFError) {
        self.path = path
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected as not a regular file below.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        fileSize = size
        var mapping: UnsafeRawPointer? = nil
        if size > 0 {
            let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let address, address != MAP_FAILED else {
                throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
            }
            mapping = UnsafeRawPointer(address)
        }
        base = mapping
        let parsed: GGUFParser.Parsed
        do {
            parsed = try GGUFParser.parse(UnsafeRawBufferPointer(start: mapping, count: size))
        } catch {
            if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping), size) }
            throw error
        }
        version = parsed.version
        metadata = parsed.metadata
        tensors = parsed.tensors
        alignment = parsed.alignment
        dataStart = parsed.dataStart
        tensorIndex = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), fileSize) }
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor's info, or `GGUFError.missingTensor`.
    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let tensor = tensor(named: name) else { throw .missingTensor(name) }
        return tensor
    }

    /// The tensor's raw bytes inside the mapping. Valid while this file object is alive.
    ///
    /// `tensor` must come from this file's table; an info whose extent lies outside the data
    /// section (made by hand, or from another file) stops the process rather than reading
    /// out of bounds.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let dataSize = fileSize - dataStart
        precondition(tensor.dataOffset >= 0 && tensor.byteCount >= 0
                     && tensor.dataOffset <= dataSize && tensor.byteCount <= dataSize - tensor.dataOffset,
                     "tensor '\(tensor.name)' does not lie in the data section of \(path)")
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + dataStart + tensor.dataOffset, count: tensor.byteCount)
    }

    /// Total bytes of tensor data, the part of the file a model keeps resident.
    public var tensorDataSize: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}
