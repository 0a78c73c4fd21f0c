import Foundation
import HTTPTypes
import Hummingbird
import ShoalCore
import ShoalIdentity
import ShoalPorts

/// Serves the Identity v3 API under `/identity` (the version documents at `/identity` and
/// `/identity/v3`, everything else under `/identity/v3/...`), handing each request to
/// ``IdentityAPI`` with the base URL the client reached, so every link and catalog URL
/// names this node.
public struct IdentityAPIMiddleware<Context: RequestContext>: RouterMiddleware {
    let api: IdentityAPI
    /// `host:port` when a request names no host (HTTP/1.0 clients).
    let defaultHost: String
    static var maximumBody: Int { 1 << 20 }

    public init(api: IdentityAPI, defaultHost: String) {
        self.api = api
        self.defaultHost = defaultHost
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/identity" || path.hasPrefix("/identity/") else { return try await next(request, context) }
        let components = path.dropFirst("/identity".count).split(separator: "/").map { PercentEncoding.decode($0, plusAsSpace: false) ?? String($0) }
        var body: [UInt8] = []
        if let stream = HTTPBridge.body(of: request) {
            do {
                body = try await stream.collect(upTo: Self.maximumBody)
            } catch {
                return Self.json(IdentityResponse(status: 413, body: [
                    "error": ["code": 413, "title": "Request Entity Too Large", "message": "Request is too large."]]))
            }
        }
        let answer = await api.handle(IdentityRequest(
            method: request.method.rawValue, path: components, query: HTTPBridge.query(request.uri.query),
            headers: HTTPBridge.headers(request.headers), body: body,
            nodeURL: "http://" + (request.head.authority ?? defaultHost)))
        var response = Self.json(answer)
        if request.method == .head { response.body = ResponseBody() }
        return response
    }

    static func json(_ answer: IdentityResponse) -> Response {
        var fields = HTTPFields()
        for field in answer.headers {
            guard let name = HTTPField.Name(field.name) else { continue }
            fields.append(HTTPField(name: name, value: field.value))
        }
        fields[.init("Vary")!] = "X-Auth-Token"
        guard let body = answer.body else {
            if answer.status != 204 { fields[.contentLength] = "0" }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields)
        }
        fields[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.jsonBytes)))
    }
}
