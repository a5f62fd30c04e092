import Testing
import TandemGGUF

/// A valid file cut at every byte offset: every cut before the end of the last tensor's data
/// is a typed error; every cut after it (inside the final padding) still opens.
@Suite struct TruncationTests {
    /// Errors a cut can cause: a field runs off the end, a count or length no longer fits,
    /// or a tensor's data is missing.
    static let truncationKinds: Set<String> = ["truncated", "countTooLarge", "tensorOutOfBounds"]

    @Test func everyOffset() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = smallModelBytes()
        let whole = try dir.open(bytes).get()
        let dataEnd = whole.dataStart + whole.tensors.map { $0.dataOffset + $0.byteCount }.max()!
        #expect(bytes.count > dataEnd, "the fixture should end in padding, to test cuts inside it")

        for length in 0..<bytes.count {
            let result = try dir.open(Array(bytes.prefix(length)))
            switch result {
            case .success(let file):
                #expect(length >= dataEnd, "a cut at \(length) opened, but tensor data ends at \(dataEnd)")
                #expect(file.tensors == whole.tensors)
                for tensor in file.tensors { #expect(Array(file.data(for: tensor)) == Array(whole.data(for: tensor))) }
            case .failure(let error):
                #expect(length < dataEnd, "a cut at \(length) failed: \(error)")
                #expect(Self.truncationKinds.contains(error.kind), "cut at \(length): \(error)")
            }
        }
    }

    /// Cuts exactly at section boundaries give the error naming that boundary.
    @Test func sectionBoundaries() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = smallModelBytes()
        let whole = try dir.open(bytes).get()
        let keys = UInt64(whole.metadata.count)
        func cut(_ length: Int) throws -> GGUFError? { try dir.error(Array(bytes.prefix(length))) }

        #expect(try cut(0) == .truncated(offset: 0, needed: 4, reading: "magic"))
        #expect(try cut(4) == .truncated(offset: 4, needed: 4, reading: "version"))
        #expect(try cut(8) == .truncated(offset: 8, needed: 8, reading: "tensor count"))
        #expect(try cut(16) == .truncated(offset: 16, needed: 8, reading: "metadata count"))
        #expect(try cut(24) == .countTooLarge(what: "metadata", count: keys, offset: 16))

        // After each complete pair, and after each tensor info but the last: still an error.
        var offset = 24
        for key in whole.metadata.keys {
            offset += 8 + key.utf8.count + 4 + encodedSize(whole.metadata[key]!)
            #expect(try cut(offset) != nil, "cut after pair '\(key)' at \(offset)")
        }
        for tensor in whole.tensors {
            offset += 8 + tensor.name.utf8.count + 4 + 8 * tensor.shape.count + 4 + 8
            #expect(try cut(offset) != nil, "cut after info '\(tensor.name)' at \(offset)")
        }
        let tableEnd = offset
        #expect(whole.dataStart == (tableEnd + 31) / 32 * 32)
        #expect(tableEnd < whole.dataStart, "the fixture should need padding before its data")
        #expect(try cut(tableEnd) == .truncated(offset: tableEnd, needed: whole.dataStart - tableEnd,
                                                reading: "padding before tensor data"))

        // At the data start, and at the end of each tensor's data: the next tensor is missing.
        let first = whole.tensors[0]
        #expect(try cut(whole.dataStart) == .tensorOutOfBounds(tensor: first.name, start: 0, byteCount: first.byteCount, dataSize: 0))
        for (tensor, next) in zip(whole.tensors, whole.tensors.dropFirst()) {
            let end = tensor.dataOffset + tensor.byteCount
            #expect(try cut(whole.dataStart + end) == .tensorOutOfBounds(
                tensor: next.name, start: UInt64(next.dataOffset), byteCount: next.byteCount, dataSize: end))
        }
    }
}
