import Testing
import TandemGGUF

/// Counts that fit in the file but would decode to far more memory than the file takes:
/// `GGUFFile.maxMetadataValues` and `maxTensorCount` turn them into typed errors.
@Suite struct LimitTests {
    static let limit = GGUFFile.maxMetadataValues

    /// One uint8 array of `count` elements, all present in the file.
    static func byteArray(count: Int, key: String = "k") -> RawGGUF {
        var raw = RawGGUF()
        raw.string(key)
        raw.u32(9)
        raw.u32(0)
        raw.u64(UInt64(count))
        raw.zeros(count)
        return raw
    }

    /// A uint8 array as long as the limit: each byte would be a 24-byte value.
    @Test func oneArrayPastTheLimit() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var raw = RawGGUF()
        raw.header(tensors: 0, keys: 1)
        raw.raw(Self.byteArray(count: Self.limit).bytes)
        #expect(try dir.error(raw.bytes) == .limitExceeded(
            what: "metadata values with the \(Self.limit) elements of 'k'", limit: Self.limit, offset: 41))
    }

    /// Arrays each within the limit are past it together; nested arrays count every element
    /// at every level.
    @Test func arraysTogetherPastTheLimit() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let inner = Self.limit / 4
        var raw = RawGGUF()
        raw.header(tensors: 0, keys: 1)
        raw.string("k")
        raw.u32(9)
        raw.u32(9)      // array of arrays
        raw.u64(4)      // four of them
        var offsets: [Int] = []
        for _ in 0..<4 {
            raw.u32(0)
            offsets.append(raw.count)
            raw.u64(UInt64(inner))
            raw.zeros(inner)
        }
        // 1 pair + 4 outer elements + 3 full inner arrays leave less than a fourth.
        #expect(try dir.error(raw.bytes) == .limitExceeded(
            what: "metadata values with the \(inner) elements of 'k'", limit: Self.limit, offset: offsets[3]))
    }

    @Test func tensorCountPastTheLimit() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let count = GGUFFile.maxTensorCount + 1
        var raw = RawGGUF()
        raw.header(tensors: UInt64(count), keys: 0)
        raw.zeros(32 * count)
        #expect(try dir.error(raw.bytes) == .limitExceeded(
            what: "tensor count \(count)", limit: GGUFFile.maxTensorCount, offset: 8))
    }

    /// The real models are far inside both limits.
    @Test func limitsLeaveRoom() {
        #expect(GGUFFile.maxMetadataValues >= 10 * (151_936 * 3 + 151_387))
        #expect(GGUFFile.maxTensorCount >= 100 * 339)
    }
}
