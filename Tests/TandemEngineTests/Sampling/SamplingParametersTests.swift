import Foundation
import Testing
import TandemEngine

@Suite("sampling parameters")
struct SamplingParametersTests {
    @Test("defaults are all off, which is greedy")
    func defaults() throws {
        let parameters = SamplingParameters()
        #expect(parameters == .greedy)
        #expect(parameters.isGreedy)
        #expect(!parameters.penalisesRepetition)
        #expect(parameters.repetitionPenaltyWindow == 64)
        try parameters.validate()
        try SamplingParameters.llamaCppDefaults(seed: 1).validate()
        #expect(!SamplingParameters.llamaCppDefaults(seed: 1).isGreedy)
    }

    static let invalid: [(SamplingParameters, SamplingError)] = [
        (SamplingParameters(temperature: -0.1), .temperatureOutOfRange(-0.1)),
        (SamplingParameters(temperature: .infinity), .temperatureOutOfRange(.infinity)),
        (SamplingParameters(topK: -1), .topKOutOfRange(-1)),
        (SamplingParameters(topP: 0), .topPOutOfRange(0)),
        (SamplingParameters(topP: -0.5), .topPOutOfRange(-0.5)),
        (SamplingParameters(topP: 1.01), .topPOutOfRange(1.01)),
        (SamplingParameters(minP: -0.01), .minPOutOfRange(-0.01)),
        (SamplingParameters(minP: 1.5), .minPOutOfRange(1.5)),
        (SamplingParameters(repetitionPenalty: 0), .repetitionPenaltyOutOfRange(0)),
        (SamplingParameters(repetitionPenalty: -1.1), .repetitionPenaltyOutOfRange(-1.1)),
        (SamplingParameters(repetitionPenalty: .infinity), .repetitionPenaltyOutOfRange(.infinity)),
        (SamplingParameters(repetitionPenaltyWindow: -1), .repetitionPenaltyWindowOutOfRange(-1)),
    ]

    @Test("out-of-range values are typed errors", arguments: invalid)
    func invalidValues(parameters: SamplingParameters, expected: SamplingError) {
        #expect(throws: expected) { try parameters.validate() }
        #expect(throws: expected) { try Sampler(parameters: parameters) }
    }

    @Test("NaN is rejected everywhere a float is taken")
    func notANumber() {
        for parameters in [SamplingParameters(temperature: .nan), SamplingParameters(topP: .nan),
                           SamplingParameters(minP: .nan), SamplingParameters(repetitionPenalty: .nan)] {
            #expect(throws: SamplingError.self) { try parameters.validate() }
        }
    }

    @Test("boundary values are accepted", arguments: [
        SamplingParameters(temperature: 0), SamplingParameters(topP: 1), SamplingParameters(topP: 1e-6),
        SamplingParameters(minP: 0), SamplingParameters(minP: 1), SamplingParameters(repetitionPenalty: 0.5),
        SamplingParameters(repetitionPenaltyWindow: 0), SamplingParameters(repetitionPenaltyWindow: .max),
        SamplingParameters(topK: 1), SamplingParameters(temperature: 100, seed: .max),
    ])
    func boundaries(parameters: SamplingParameters) throws {
        try parameters.validate()
    }

    @Test("error messages name the parameter, its range and the value")
    func messages() {
        #expect(SamplingError.temperatureOutOfRange(-1).description
                    == "temperature must be a finite number ≥ 0 (0 means greedy), got -1.0")
        #expect(SamplingError.topPOutOfRange(1.5).description == "top-p must be in (0, 1] (1 turns it off), got 1.5")
        #expect(SamplingError.emptyStopString(index: 2).description.contains("stop string 2 is empty"))
    }

    @Test("Codable round trip; every field is required and validated")
    func codable() throws {
        let parameters = SamplingParameters(temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05,
                                            repetitionPenalty: 1.1, repetitionPenaltyWindow: 128, seed: .max)
        let data = try JSONEncoder().encode(parameters)
        #expect(try JSONDecoder().decode(SamplingParameters.self, from: data) == parameters)

        let missingSeed = Data(#"{"temperature":0.7,"topK":40,"topP":0.95,"minP":0.05,"repetitionPenalty":1.1,"repetitionPenaltyWindow":64}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SamplingParameters.self, from: missingSeed) }

        let badTopP = Data(#"{"temperature":0.7,"topK":40,"topP":1.5,"minP":0.05,"repetitionPenalty":1.1,"repetitionPenaltyWindow":64,"seed":1}"#.utf8)
        do {
            _ = try JSONDecoder().decode(SamplingParameters.self, from: badTopP)
            Issue.record("decoding top-p 1.5 succeeded")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.underlyingError as? SamplingError == .topPOutOfRange(1.5))
        }
    }
}
