import Foundation
import TandemCloud
import TandemProtocol

/// The cloud code running in this process (no server): the same `CloudService` that
/// `tandem serve` runs, called directly. Bytes are what the JSON bodies would be on the wire.
public struct InProcessVerifier: CloudVerifier {
    public let service: CloudService

    public init(service: CloudService) {
        self.service = service
        service.start()
    }

    public func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        try exchange(request) { () throws(ErrorResponse) in try service.createSession(request) }
    }

    public func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        do {
            let response = try await service.verify(session: session, request)
            return Exchange(response: response, bytesUp: WireSize.of(request), bytesDown: WireSize.of(response))
        } catch let error as ErrorResponse {
            throw VerifierError.rejected(error)
        }
    }

    public func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        do {
            let response = try await service.generate(session: session, request)
            return Exchange(response: response, bytesUp: WireSize.of(request), bytesDown: WireSize.of(response))
        } catch let error as ErrorResponse {
            throw VerifierError.rejected(error)
        }
    }

    public func closeSession(_ session: String) async {
        _ = try? service.closeSession(session)
    }

    private func exchange<Request: Encodable, Response: Encodable>(
        _ request: Request, _ body: () throws(ErrorResponse) -> Response
    ) throws -> Exchange<Response> {
        do {
            let response = try body()
            return Exchange(response: response, bytesUp: WireSize.of(request), bytesDown: WireSize.of(response))
        } catch {
            throw VerifierError.rejected(error)
        }
    }
}

/// Bytes of a message's JSON body, as the HTTP transport sends it.
enum WireSize {
    static func of(_ value: some Encodable) -> Int {
        (try? WireJSON.encoder().encode(value).count) ?? 0
    }
}

enum WireJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
