/// An error answer in OpenStack Swift's own form: the status, the body Swift sends for it,
/// and that body's content type. The REST layer turns it into the HTTP response as is.
public struct SwiftError: Error, Hashable, Sendable, CustomStringConvertible {
    public let status: Int
    public let body: String
    public let contentType: String

    public init(status: Int, body: String, contentType: String = "text/plain") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    public var description: String { "\(status) \(body)" }

    /// Swift's HTML-ish bodies for the common statuses (what `swob` sends).
    static func html(_ status: Int, _ title: String, _ explanation: String) -> SwiftError {
        SwiftError(status: status, body: "<html><h1>\(title)</h1><p>\(explanation)</p></html>",
                   contentType: "text/html; charset=UTF-8")
    }

    public static let notFound = html(404, "Not Found", "The resource could not be found.")
    public static let unauthorized = html(401, "Unauthorized", "This server could not verify that you are authorized to access the document you requested.")
    public static let forbidden = html(403, "Forbidden", "Access was denied to this resource.")
    public static let methodNotAllowed = html(405, "Method Not Allowed", "The method is not allowed for this resource.")
    public static let conflict = html(409, "Conflict", "There was a conflict when trying to complete your request.")
    public static let lengthRequired = html(411, "Length Required", "Length Required")
    public static let preconditionFailed = html(412, "Precondition Failed", "A precondition for this request was not met.")
    public static let rangeNotSatisfiable = html(416, "Requested Range Not Satisfiable", "The Range requested is not available.")
    public static let unprocessable = html(422, "Unprocessable Entity", "Unable to process the contained instructions")
    public static let serviceUnavailable = html(503, "Service Unavailable", "The server is currently unavailable. Please try again at a later time.")

    public static func badRequest(_ body: String) -> SwiftError { SwiftError(status: 400, body: body) }
    public static func preconditionFailed(_ body: String) -> SwiftError { SwiftError(status: 412, body: body) }
    public static let requestTooLarge = SwiftError(status: 413, body: "Your request is too large.")
}
