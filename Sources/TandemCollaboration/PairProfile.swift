import Foundation
import TandemEngine

/// What profiling a device/cloud pair observed, token by token: for every token of the
/// device's own greedy answers, the device's confidence, whether the cloud's greedy token
/// agrees, and (optionally) the device's final hidden state there. `Calibration.fit` reads
/// the first two; `TokenRouter.train` reads all three.
public struct PairProfile: Sendable {
    public struct Token: Sendable {
        public var confidence: Float
        public var agrees: Bool
        /// The device's final hidden state at the row that predicted this token (empty when
        /// not collected).
        public var hidden: [Float]

        public init(confidence: Float, agrees: Bool, hidden: [Float] = []) {
            self.confidence = confidence
            self.agrees = agrees
            self.hidden = hidden
        }
    }

    /// One array per prompt, in answer order.
    public var sequences: [[Token]]
    /// Length of each hidden state (0: none collected).
    public var hiddenSize: Int

    public init(sequences: [[Token]], hiddenSize: Int) {
        self.sequences = sequences
        self.hiddenSize = hiddenSize
    }

    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }

    /// For each prompt the device writes its greedy answer (up to `maxTokens`); both models
    /// then score prompt + answer in one pass each.
    public static func collect(device: Engine, cloud: Engine, prompts: [[TokenID]], maxTokens: Int, hiddenStates: Bool,
                               progress: (Int) -> Void = { _ in }) async throws -> PairProfile {
        var sequences: [[Token]] = []
        for (index, prompt) in prompts.enumerated() {
            if let (answer, mine, theirs) = try await scoredAnswer(device: device, cloud: cloud, prompt: prompt, maxTokens: maxTokens,
                                                                   deviceOutputs: OutputRequest(rows: .all, distribution: .topK(1), hiddenState: hiddenStates)) {
                sequences.append(answer.indices.map { k in
                    let row = prompt.count - 1 + k
                    return Token(confidence: Float(exp(Double(mine[row].top[0].logProb))), agrees: theirs[row].top[0].id == answer[k],
                                 hidden: mine[row].hiddenState ?? [])
                })
            }
            progress(index + 1)
        }
        return PairProfile(sequences: sequences, hiddenSize: hiddenStates ? device.configuration.embeddingLength : 0)
    }

    /// The device's greedy answer to `prompt` and both models' rows over prompt + answer (the
    /// cloud's with its top token), or nil for an empty answer. Row i predicts token i + 1, so
    /// answer token k is predicted by row `prompt.count - 1 + k`.
    static func scoredAnswer(device: Engine, cloud: Engine, prompt: [TokenID], maxTokens: Int, deviceOutputs: OutputRequest) async throws
        -> (answer: [TokenID], device: [TokenOutput], cloud: [TokenOutput])? {
        let decoder = CollaborativeDecoder(device: device, cloud: nil, options: CollaborationOptions(mode: .device, maxTokens: maxTokens))
        let answer = try await decoder.run(prompt: prompt).tokens
        guard !answer.isEmpty else { return nil }
        let scored = prompt + answer
        let mine = try device.forward(scored, cache: device.makeCache(), outputs: deviceOutputs).tokens
        let theirs = try cloud.forward(scored, cache: cloud.makeCache(), outputs: OutputRequest(rows: .all, distribution: .topK(1))).tokens
        return (answer, mine, theirs)
    }

    // MARK: - File

    static let magic = Array("TNDMPRF1".utf8)

    /// Binary, little-endian: magic, hidden size, sequence count, then per sequence its
    /// token count and per token confidence (f32), agrees (u8), hidden state (f32 × size).
    public func save(to path: String) throws {
        var data = Data(Self.magic)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func f32(_ v: Float) { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        u32(hiddenSize)
        u32(sequences.count)
        for sequence in sequences {
            u32(sequence.count)
            for token in sequence {
                precondition(token.hidden.count == hiddenSize, "every token needs a hidden state of the profile's size")
                f32(token.confidence)
                data.append(token.agrees ? 1 : 0)
                token.hidden.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    public static func load(from path: String) throws -> PairProfile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CalibrationError("cannot read profile features \(path): \(error.localizedDescription)")
        }
        let bytes = [UInt8](data)
        var offset = 0
        func need(_ n: Int) throws {
            guard n >= 0, offset + n <= bytes.count else { throw CalibrationError("\(path) is truncated at byte \(offset)") }
        }
        func u32() throws -> Int {
            try need(4)
            defer { offset += 4 }
            return Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
        }
        func f32() throws -> Float { Float(bitPattern: UInt32(try u32())) }
        guard bytes.count >= magic.count, Array(bytes[..<magic.count]) == magic else {
            throw CalibrationError("\(path) is not a Tandem profile features file")
        }
        offset = magic.count
        let size = try u32(), count = try u32()
        guard size <= 65_536 else { throw CalibrationError("\(path): implausible hidden size \(size)") }
        var sequences: [[Token]] = []
        for _ in 0..<count {
            let tokens = try u32()
            try need(tokens * (5 + 4 * size))
            var sequence: [Token] = []
            sequence.reserveCapacity(tokens)
            for _ in 0..<tokens {
                let confidence = try f32()
                let agrees = bytes[offset] != 0
                offset += 1
                var hidden = [Float](repeating: 0, count: size)
                for j in 0..<size { hidden[j] = try f32() }
                sequence.append(Token(confidence: confidence, agrees: agrees, hidden: hidden))
            }
            sequences.append(sequence)
        }
        guard offset == bytes.count else { throw CalibrationError("\(path) has \(bytes.count - offset) trailing bytes") }
        return PairProfile(sequences: sequences, hiddenSize: size)
    }
}
