import AsyncHTTPClient
import Foundation
import NIOCore

/// Downloads one URL to a file, streaming, reporting bytes as they arrive.
///
/// Redirects are followed (the Hub redirects to a CDN). A refused connection or unknown host
/// fails at once; one that cannot be made within `connectTimeout`, or a body that stalls for
/// `readTimeout`, fails the download.
struct HTTPDownloader {
    var connectTimeout: TimeAmount = .seconds(15)
    var readTimeout: TimeAmount = .seconds(60)

    func download(_ url: String, to path: String, progress: @Sendable (Int64, Int64?) -> Void) async throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 10, allowCycles: false),
            timeout: .init(connect: connectTimeout, read: readTimeout))
        configuration.decompression = .disabled
        // Fail at once on refused connections and unknown hosts, so the next source is tried
        // now rather than after the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await fetch(url, client: client, to: path, progress: progress)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func fetch(_ url: String, client: HTTPClient, to path: String, progress: @Sendable (Int64, Int64?) -> Void) async throws {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "tandem-model-store")
        let response = try await client.execute(request, timeout: .hours(6))
        guard response.status == .ok else {
            throw ModelStoreError.sourceFailed(source: url, reason: "HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        let total = response.headers.first(name: "content-length").flatMap(Int64.init)
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw ModelStoreError.io(path: path, reason: "cannot create file")
        }
        defer { try? handle.close() }
        var written: Int64 = 0
        progress(0, total)
        for try await buffer in response.body {
            try Task.checkCancellation()
            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
            written += Int64(buffer.readableBytes)
            progress(written, total)
        }
        if let total, total != written {
            throw ModelStoreError.sourceFailed(source: url, reason: "connection closed after \(written) of \(total) bytes")
        }
    }
}
