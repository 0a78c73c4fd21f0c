import ShoalCore

/// An Identity API error as Keystone answers it: `{"error": {"code", "title", "message"}}`
/// with Keystone's status codes. 401, 403 and 500 carry Keystone's generic messages (it
/// never says why a login failed); 400, 404 and 409 say what was wrong.
public struct KeystoneError: Error, Hashable, Sendable {
    public let status: Int
    public let message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    public var title: String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Request Entity Too Large"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: "Internal Server Error"
        }
    }

    public var body: JSONValue {
        ["error": ["code": .integer(Int64(status)), "title": .string(title), "message": .string(message)]]
    }

    /// 400: the request is malformed (Keystone's ValidationError).
    public static func badRequest(_ detail: String) -> KeystoneError {
        KeystoneError(status: 400, message: detail)
    }

    /// 400 for a missing attribute, in Keystone's words.
    public static func missing(_ attribute: String, in target: String) -> KeystoneError {
        badRequest("Expecting to find \(attribute) in \(target). The server could not comply with the request since it is "
                   + "either malformed or otherwise incorrect. The client is assumed to be in error.")
    }

    public static let unauthorized = KeystoneError(status: 401, message: "The request you have made requires authentication.")
    public static let forbidden = KeystoneError(status: 403, message: "You are not authorized to perform the requested action.")

    /// 403 naming the policy rule that refused, as Keystone's policy enforcer does.
    public static func forbidden(action: String) -> KeystoneError {
        KeystoneError(status: 403, message: "You are not authorized to perform the requested action: \(action).")
    }

    /// 404 `Could not find <kind>: <id>.`
    public static func notFound(_ kind: String, _ id: String) -> KeystoneError {
        KeystoneError(status: 404, message: "Could not find \(kind): \(id).")
    }

    /// 409 `Conflict occurred attempting to store <kind> - <details>.`
    public static func conflict(_ kind: String, _ details: String) -> KeystoneError {
        KeystoneError(status: 409, message: "Conflict occurred attempting to store \(kind) - \(details).")
    }

    public static let tooManyAttempts = KeystoneError(
        status: 429, message: "Too many failed authentication attempts; try again later.")
    public static let unavailable = KeystoneError(
        status: 503, message: "The identity records could not be read or written; try again.")
}
