import Foundation
import Testing
import TandemEngine

@Suite("seeded random generator")
struct RandomGeneratorTests {
    // Reference values from Vigna's splitmix64.c and xoshiro256starstar.c, compiled in C.

    @Test("SplitMix64 matches the reference implementation")
    func splitMixReference() {
        var zero = SplitMix64(state: 0)
        #expect([zero.next(), zero.next(), zero.next(), zero.next()]
                    == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC])
        var fortyTwo = SplitMix64(state: 42)
        #expect(fortyTwo.next() == 0xBDD7_3226_2FEB_6E95)
    }

    @Test("xoshiro256** seeded through SplitMix64 matches the reference implementation", arguments: [
        (UInt64(0), [UInt64(0x99EC_5F36_CB75_F2B4), 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0,
                     0x6AA5_94F1_262D_2D2C, 0xBBA5_AD4A_1F84_2E59]),
        (UInt64(42), [UInt64(0x1578_0B2E_0C2E_C716), 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1,
                      0xECB8_AD47_03B3_60A1, 0xFDE6_DC7F_E2EC_5E64]),
        (UInt64.max, [UInt64(0x8F55_20D5_2A7E_AD08), 0xC476_A018_CAA1_802D, 0x81DE_31C0_D260_469E,
                      0xBF65_8D7E_065F_3C2F, 0x9135_93FD_A1BC_A32A]),
    ])
    func xoshiroReference(seed: UInt64, expected: [UInt64]) {
        var generator = Xoshiro256StarStar(seed: seed)
        #expect((0..<expected.count).map { _ in generator.next() } == expected)
    }

    @Test("unit interval draws are in [0, 1) and use the top 53 bits")
    func unitInterval() {
        var generator = Xoshiro256StarStar(seed: 7)
        var copy = generator
        for _ in 0..<10_000 {
            let u = generator.nextUnitInterval()
            #expect(u >= 0 && u < 1)
            #expect(u == Double(copy.next() >> 11) / 9_007_199_254_740_992)
        }
    }

    @Test("a copy forks the stream; the state round-trips through Codable")
    func forkAndCodable() throws {
        var original = Xoshiro256StarStar(seed: 2024)
        _ = original.next()
        var fork = original
        let fromOriginal = (0..<8).map { _ in original.next() }
        let fromFork = (0..<8).map { _ in fork.next() }
        #expect(fromOriginal == fromFork)

        let data = try JSONEncoder().encode(original)
        var decoded = try JSONDecoder().decode(Xoshiro256StarStar.self, from: data)
        #expect(decoded == original)
        #expect(decoded.next() == original.next())
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Xoshiro256StarStar.self, from: Data("[0,0,0,0]".utf8))
        }
    }
}
