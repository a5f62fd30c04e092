import Hummingbird
import TandemCloud
import TandemProtocol

/// In front of every route: checks the Bearer key (except for `/health`), turns any thrown
/// error into a JSON error body, and counts every refused request.
struct GatewayMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKeys: Set<String>
    let cloud: CloudService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if !apiKeys.isEmpty, request.uri.path != "/health", !authorized(request) {
            response = .error(ErrorResponse(.unauthorized, "missing or wrong API key: send 'Authorization: Bearer KEY'"))
            response.headers[.wwwAuthenticate] = "Bearer"
        } else {
            do {
                response = try await next(request, context)
            } catch {
                response = .error(errorResponse(for: error))
            }
        }
        if let code = response.headers[.tandemErrorCode].flatMap(ErrorCode.init(rawValue:)) { cloud.recordRejected(code) }
        return response
    }

    private func authorized(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return apiKeys.contains(String(header.dropFirst("Bearer ".count)))
    }
}
