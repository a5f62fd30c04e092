import Foundation
import Testing
import TandemProtocol

/// Wire format of the Tandem protocol.
@Suite struct ProtocolTests {
    @Test func verifyMessagesRoundTripWithCompactTokenPairs() throws {
        let request = VerifyRequest(contextLength: 12, append: [5], draft: [7, 8], draftProbabilities: [0.5, 0.25],
                                    draftDistributions: [[TokenProbability(id: 7, probability: 0.5)], [TokenProbability(id: 8, probability: 0.25)]],
                                    topK: 2, stallMilliseconds: 30)
        let data = try JSONEncoder().encode(request)
        #expect(try JSONDecoder().decode(VerifyRequest.self, from: data) == request)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"draft_dists\":[[[7,0.5]],[[8,0.25]]]"))
        let response = VerifyResponse(accepted: 1, correction: 9,
                                      positions: [PositionVerdict(top: [TokenLogprob(id: 7, logprob: -0.5)], draftProbability: 0.6),
                                                  PositionVerdict(top: [TokenLogprob(id: 9, logprob: -0.1)], draftProbability: 0.01)],
                                      contextLength: 15)
        let encoded = String(decoding: try JSONEncoder().encode(response), as: UTF8.self)
        #expect(encoded.contains("\"top\":[[7,-0.5]]"))
        #expect(try JSONDecoder().decode(VerifyResponse.self, from: Data(encoded.utf8)) == response)
    }

    @Test func optionalFieldsTakeTheirDefaults() throws {
        let request = try JSONDecoder().decode(VerifyRequest.self, from: Data(#"{"context_length": 3, "draft": [1]}"#.utf8))
        #expect(request == VerifyRequest(contextLength: 3, draft: [1]))
        let create = try JSONDecoder().decode(CreateSessionRequest.self, from: Data("{}".utf8))
        #expect(create.context.isEmpty && create.sampling == .greedy && create.protocolVersion == nil)
        // A session answer states the cloud's merge limit; one from a cloud that does not is still read.
        let opened = CreateSessionResponse(sessionID: "s", contextLength: 3, maxContextLength: 64, vocabularySize: 10, model: "m", mergeLimit: 16)
        let text = String(decoding: try JSONEncoder().encode(opened), as: UTF8.self)
        #expect(text.contains("\"merge_limit\":16"))
        #expect(try JSONDecoder().decode(CreateSessionResponse.self, from: Data(text.utf8)) == opened)
        let silent = try JSONDecoder().decode(CreateSessionResponse.self, from: Data(#"{"protocol_version": 1, "session_id": "s", "context_length": 3, "max_context_length": 64, "vocabulary_size": 10, "model": "m"}"#.utf8))
        #expect(silent.mergeLimit == nil && silent.sessionID == "s")
    }

    @Test func malformedMessagesDoNotDecode() {
        for body in [#"{"draft": [1]}"#, #"{"context_length": 1, "draft": [4294967296]}"#, #"{"context_length": "1", "draft": [1]}"#,
                     #"{"context_length": 1, "draft": [1], "draft_dists": [[[1, 0.5, 3]]]}"#] {
            #expect(throws: DecodingError.self, "\(body)") { try JSONDecoder().decode(VerifyRequest.self, from: Data(body.utf8)) }
        }
    }

    @Test func errorCodesAreDistinctWithOpenAIShapedBodies() throws {
        #expect(Set(ErrorCode.allCases.map(\.rawValue)).count == ErrorCode.allCases.count)
        #expect(ErrorCode.sessionNotFound != ErrorCode.sessionEvicted)
        #expect(ErrorCode.contextMismatch.httpStatus == 409)
        let body = String(decoding: try JSONEncoder().encode(ErrorResponse(.contextMismatch, "m", contextLength: 4)), as: UTF8.self)
        #expect(body.contains("\"code\":\"context_mismatch\"") && body.contains("\"context_length\":4") && body.contains("\"param\":null"))
    }
}
