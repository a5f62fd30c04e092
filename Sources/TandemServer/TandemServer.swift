import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TandemCloud
import TandemProtocol

/// The HTTP front of a `CloudService`: the Tandem protocol, OpenAI-compatible routes, SGLang's
/// `/generate`, health and Prometheus metrics.
public enum TandemServer {
    /// The routes, behind the gateway (API keys, JSON errors, refusal counts).
    public static func makeRouter(cloud: CloudService, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: GatewayMiddleware(apiKeys: Set(configuration.apiKeys), cloud: cloud))
        let limit = configuration.maxBodyBytes
        let model = cloud.configuration.modelName

        router.get("/health") { _, _ in
            Response.json(["status": "ok", "model": .string(model)])
        }
        router.get("/metrics") { _, _ in
            Response.bytes(Data(cloud.prometheusText().utf8), contentType: "text/plain; version=0.0.4")
        }
        router.get("/v1/models") { _, _ in
            Response.json(["object": "list", "data": [[
                "id": .string(model), "object": "model", "created": .int(Identifiers.now), "owned_by": "tandem",
                "max_model_len": .int(cloud.maxContextLength),
            ]]])
        }
        let completions = CompletionsRoute(cloud: cloud, limits: configuration)
        router.post("/v1/completions") { request, _ in
            try await cancellingOnHangUp(request) { try await completions.handle($0) }
        }
        let chat = ChatRoute(cloud: cloud, limits: configuration)
        router.post("/v1/chat/completions") { request, _ in
            try await cancellingOnHangUp(request) { try await chat.handle($0) }
        }
        let sglang = SGLangRoute(cloud: cloud, limits: configuration)
        router.post("/generate") { request, _ in
            try await cancellingOnHangUp(request) { try await sglang.handle($0) }
        }

        router.get(RouterPath(TandemAPI.schedulerPath)) { _, _ in
            Response.json(["policy": .string(cloud.policy.rawValue), "token_budget": .int(cloud.configuration.tokenBudget)])
        }
        router.put(RouterPath(TandemAPI.schedulerPath)) { request, _ in
            struct Body: Decodable { var policy: String }
            let body = try await decodeBody(Body.self, from: request, limit: limit)
            guard let policy = SchedulingPolicy(rawValue: body.policy) else {
                throw ErrorResponse(.invalidRequest, "policy must be one of: \(SchedulingPolicy.allCases.map(\.rawValue).joined(separator: ", "))",
                                    param: "policy")
            }
            cloud.policy = policy
            return Response.json(["policy": .string(policy.rawValue), "token_budget": .int(cloud.configuration.tokenBudget)])
        }

        let sessions = router.group(RouterPath(TandemAPI.sessionsPath))
        sessions.post { request, _ in
            let body = try await decodeBody(CreateSessionRequest.self, from: request, limit: limit)
            return try Response.json(encoding: try cloud.createSession(body), status: .created)
        }
        sessions.post(":session/verify") { request, context in
            let body = try await decodeBody(VerifyRequest.self, from: request, limit: limit)
            return try Response.json(encoding: try await cloud.verify(session: try context.parameters.require("session"), body))
        }
        sessions.post(":session/generate") { request, context in
            let id = try context.parameters.require("session")
            return try await cancellingOnHangUp(request) { request in
                let body = try await decodeBody(SessionGenerateRequest.self, from: request, limit: limit)
                return try Response.json(encoding: try await cloud.generate(session: id, body))
            }
        }
        sessions.delete(":session") { _, context in
            try Response.json(encoding: try cloud.closeSession(try context.parameters.require("session")))
        }
        return router
    }

    /// The application: the cloud's driver runs as a service beside the HTTP server; on
    /// graceful shutdown the server stops accepting and finishes in-flight requests, then the
    /// driver drains its queue and stops.
    public static func makeApplication(cloud: CloudService, configuration: ServerConfiguration, logger: Logger? = nil,
                                       onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var log = logger ?? Logger(label: "tandem.server")
        if logger == nil { log.logLevel = .warning }
        return Application(
            router: makeRouter(cloud: cloud, configuration: configuration),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tandem"),
            services: [CloudDriverService(cloud: cloud)],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: log)
    }
}

extension TandemServer {
    /// The application in a service group that `triggerGracefulShutdown()` stops gracefully,
    /// as SIGINT and SIGTERM do for `runService()` in `tandem serve` (for tests).
    public static func serviceGroup(_ app: some ApplicationProtocol) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: [app], logger: app.logger))
    }
}

/// Runs a model-bound handler so that a client hanging up before the answer cancels it (and
/// with it the cloud's work). Watching for the hang-up consumes the connection's input, so the
/// answer says `Connection: close`: a client opens a new connection for its next request.
func cancellingOnHangUp(_ request: Request, _ handler: (Request) async throws -> Response) async throws -> Response {
    var response: Response
    do {
        response = try await request.body.consumeWithCancellationOnInboundClose { body in
            try await handler(Request(head: request.head, body: body))
        }
    } catch {
        response = .error(errorResponse(for: error))
    }
    response.headers[.connection] = "close"
    return response
}

/// Runs the cloud's driver for the life of the service group.
struct CloudDriverService: Service {
    let cloud: CloudService

    func run() async throws {
        cloud.start()
        try? await gracefulShutdown()
        await cloud.shutdown()
    }
}
