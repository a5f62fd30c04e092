import TandemTestSupport
import Testing
import TandemGGUF

/// Seeded random damage to a valid file. Every outcome is a valid file or a `GGUFError`; a
/// crash, an out-of-bounds read or a hang fails the run. Seeds make failures reproducible.
@Suite(.timeLimit(.minutes(2))) struct FuzzTests {
    /// What the fuzzer saw: how many files opened, and how many of each error.
    struct Tally: CustomStringConvertible {
        var valid = 0
        var errors: [String: Int] = [:]

        mutating func record(_ result: Result<GGUFFile, GGUFError>) {
            switch result {
            case .success(let file):
                valid += 1
                FuzzTests.checkInvariants(file)
            case .failure(let error):
                errors[error.kind, default: 0] += 1
                #expect(!error.description.isEmpty)
            }
        }

        var description: String {
            "valid \(valid), " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
    }

    /// What `GGUFFile` promises about any file it opens, damaged or not.
    static func checkInvariants(_ file: GGUFFile) {
        #expect(file.version == 2 || file.version == 3)
        #expect(file.alignment > 0 && file.alignment & (file.alignment - 1) == 0)
        #expect(file.dataStart % file.alignment == 0)
        var names = Set<String>()
        for tensor in file.tensors {
            #expect(names.insert(tensor.name).inserted)
            #expect((1...4).contains(tensor.shape.count) && tensor.shape.allSatisfy { $0 > 0 })
            #expect(tensor.type.byteCount(elements: tensor.elementCount) == tensor.byteCount)
            #expect(tensor.dataOffset % file.alignment == 0)
            #expect(file.dataStart + tensor.dataOffset + tensor.byteCount <= file.fileSize)
            // Touch every byte: an out-of-bounds extent would fault here.
            let data = file.data(for: tensor)
            var sum = 0
            for byte in data { sum &+= Int(byte) }
            #expect(data.count == tensor.byteCount && sum >= 0)
        }
    }

    /// Thousands of files with one to four random bytes replaced, mostly in the header,
    /// metadata and tensor table (flips in tensor data cannot be detected, by design).
    @Test(arguments: [UInt64(1), 2, 3])
    func randomByteFlips(seed: UInt64) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = smallModelBytes()
        let headerEnd = try dir.open(bytes).get().dataStart
        var random = SeededGenerator(seed: seed)
        var tally = Tally()
        for _ in 0..<1500 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<10, using: &random) < 9
                    ? Int.random(in: 0..<headerEnd, using: &random)
                    : Int.random(in: 0..<bytes.count, using: &random)
                damaged[position] = UInt8.random(in: 0...255, using: &random)
            }
            tally.record(try dir.open(damaged))
        }
        print("byte flips, seed \(seed): \(tally)")
        // Sanity: the damage reached past the header into varied checks.
        #expect(tally.errors.count >= 5, "\(tally)")
    }

    /// Every 4- and 8-byte window of the header, metadata and tensor table overwritten with
    /// extreme values: huge counts and lengths, values around the file size, sign bits.
    @Test func extremeValuesAtEveryOffset() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = smallModelBytes()
        let headerEnd = try dir.open(bytes).get().dataStart
        let size = UInt64(bytes.count)
        let values64: [UInt64] = [.max, .max - 1, UInt64(Int.max), UInt64(Int.max) + 1, 1 << 32, UInt64(UInt32.max),
                                  size - 1, size, size + 1, size / 8, size / 13 + 1, 0]
        let values32: [UInt32] = [.max, 1 << 31, 13, 9, 0, 5]
        var tally = Tally()
        for offset in 0..<headerEnd {
            if offset + 8 <= bytes.count {
                for value in values64 { tally.record(try dir.open(bytes.patched(at: offset, value))) }
            }
            for value in values32 { tally.record(try dir.open(bytes.patched(at: offset, value))) }
        }
        print("extreme values: \(tally)")
        #expect(tally.errors["countTooLarge", default: 0] > 0)
    }

    /// Random fields after a plausible header: small lengths, counts and type tags, short
    /// strings and stray bytes, so parses get deep into pairs and tensor infos.
    @Test func randomFields() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var random = SeededGenerator(seed: 42)
        var tally = Tally()
        for _ in 0..<1500 {
            var raw = RawGGUF()
            raw.header(version: UInt32.random(in: 2...3, using: &random),
                       tensors: UInt64.random(in: 0...3, using: &random), keys: UInt64.random(in: 0...6, using: &random))
            for _ in 0..<Int.random(in: 0...60, using: &random) {
                switch Int.random(in: 0..<20, using: &random) {
                case 0..<8: raw.u64(UInt64.random(in: 0...40, using: &random))    // length, count, dimension, offset
                case 8..<13: raw.u32(UInt32.random(in: 0...14, using: &random))   // value type, tensor type, dims
                case 13..<16: raw.string(String(repeating: "k", count: Int.random(in: 0...3, using: &random)))
                default: raw.u8(UInt8.random(in: 0...255, using: &random))
                }
            }
            raw.zeros(Int.random(in: 0...128, using: &random))
            tally.record(try dir.open(raw.bytes))
        }
        print("random fields: \(tally)")
        #expect(tally.errors.count >= 5, "\(tally)")
    }

    /// Random cuts combined with random flips.
    @Test func cutsAndFlips() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let bytes = smallModelBytes()
        var random = SeededGenerator(seed: 7)
        var tally = Tally()
        for _ in 0..<1000 {
            var damaged = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            if !damaged.isEmpty {
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    damaged[Int.random(in: 0..<damaged.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
            }
            tally.record(try dir.open(damaged))
        }
        print("cuts and flips: \(tally)")
    }
}
