import Foundation
import Testing
import TandemGGUF

/// Paths that are not GGUF files at all: each is a typed error, none hangs.
@Suite(.timeLimit(.minutes(1))) struct OpenFileTests {
    @Test func missingFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/absent.gguf"
        #expect(throws: GGUFError.cannotOpen(path: path, reason: String(cString: strerror(ENOENT)))) {
            try GGUFFile(path: path)
        }
    }

    @Test func directory() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        #expect(throws: GGUFError.cannotOpen(path: dir.path, reason: "not a regular file")) {
            try GGUFFile(path: dir.path)
        }
    }

    /// A FIFO with no writer: opening must not block waiting for one.
    @Test func fifo() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/pipe.gguf"
        try #require(mkfifo(path, 0o600) == 0)
        #expect(throws: GGUFError.cannotOpen(path: path, reason: "not a regular file")) {
            try GGUFFile(path: path)
        }
    }

    @Test func emptyFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write([])
        #expect(throws: GGUFError.truncated(offset: 0, needed: 4, reading: "magic")) {
            try GGUFFile(path: path)
        }
    }

    @Test func symlinkToValidFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let target = try dir.write(smallModelBytes())
        let link = dir.path + "/link.gguf"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let file = try GGUFFile(path: link)
        #expect(file.path == link && file.tensors.count == 3)
    }

    /// A file stays readable after its path is deleted: the mapping holds it.
    @Test func mappingOutlivesUnlink() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write(smallModelBytes())
        let file = try GGUFFile(path: path)
        try FileManager.default.removeItem(atPath: path)
        let tensor = try file.requireTensor("norm.weight")
        #expect(Array(file.data(for: tensor)) == patternBytes(20, seed: 12))
    }

    /// Errors say what is wrong and where, in words.
    @Test func descriptionsNameThePlace() {
        let samples: [(GGUFError, [String])] = [
            (.truncated(offset: 57, needed: 7, reading: "padding before tensor data"), ["57", "7", "padding"]),
            (.countTooLarge(what: "array element of 'k'", count: 99, offset: 41), ["'k'", "99", "41"]),
            (.invalidUTF8(offset: 32, reading: "key of metadata pair 0"), ["32", "key of metadata pair 0"]),
            (.unknownValueType(raw: 13, key: "k", offset: 33), ["13", "'k'", "33"]),
            (.duplicateKey("general.name", offset: 74), ["general.name", "74"]),
            (.duplicateTensor("t", offset: 57), ["'t'", "57"]),
            (.unknownTensorType(raw: 43, tensor: "t"), ["43", "'t'"]),
            (.badDimensionCount(tensor: "t", count: 5), ["'t'", "5"]),
            (.badDimension(tensor: "t", index: 1, value: 0), ["'t'", "dimension 1"]),
            (.elementCountOverflow(tensor: "t"), ["'t'", "overflow"]),
            (.rowNotWholeBlocks(tensor: "t", type: .q4_K, rowLength: 32), ["'t'", "Q4_K", "32", "256"]),
            (.badAlignment(.uint32(3)), ["general.alignment", "3"]),
            (.misalignedTensor(tensor: "t", offset: 4, alignment: 32), ["'t'", "4", "32"]),
            (.tensorOutOfBounds(tensor: "t", start: 32, byteCount: 64, dataSize: 40), ["'t'", "32", "64", "40"]),
            (.tensorsOverlap("a", "b"), ["'a'", "'b'"]),
            (.badMagic(found: 0x4755_4747), ["47554747"]),
            (.bigEndianNotSupported(version: 3), ["big-endian", "3"]),
        ]
        for (error, fragments) in samples {
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error.description) should mention \(fragment)")
            }
        }
    }
}
