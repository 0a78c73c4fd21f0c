import ShoalCore

/// What a `/v1/...` request is about, parsed from its raw (percent-encoded) path and
/// validated as OpenStack Swift validates it: valid UTF-8, no NUL, names within their
/// lengths, no `/` in account or container names. Names are kept decoded.
public enum SwiftPath: Hashable, Sendable {
    case account(String)
    case container(account: String, container: String)
    case object(account: String, container: String, object: String)

    public var account: String {
        switch self {
        case .account(let account), .container(let account, _), .object(let account, _, _): account
        }
    }

    /// Parses the path of a request (`/v1/AUTH_test/photos/2024/cat.jpg`), without its query.
    public static func parse(_ rawPath: String, constraints: SwiftConstraints = .default) throws(SwiftError) -> SwiftPath {
        guard rawPath.hasPrefix("/v1/") else { throw .notFound }
        let rest = rawPath.dropFirst(4)
        // The object part keeps its slashes; account and container are the first two segments.
        let pieces = rest.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let decoded = try pieces.map { piece throws(SwiftError) -> String in try decode(piece) }
        let account = decoded[0]
        guard !account.isEmpty else { throw .notFound }
        guard account != ".", account != ".." else { throw .preconditionFailed("Account name cannot be . or ..") }
        guard account.utf8.count <= constraints.maxAccountNameLength else {
            throw .badRequest("Account name length of \(account.utf8.count) longer than \(constraints.maxAccountNameLength)")
        }
        if decoded.count == 1 || (decoded.count == 2 && decoded[1].isEmpty) { return .account(account) }
        let container = decoded[1]
        guard !container.isEmpty else { throw .notFound }
        guard container != ".", container != ".." else { throw .preconditionFailed("Container name cannot be . or ..") }
        guard container.utf8.count <= constraints.maxContainerNameLength else {
            throw .badRequest("Container name length of \(container.utf8.count) longer than \(constraints.maxContainerNameLength)")
        }
        if decoded.count == 2 || decoded[2].isEmpty { return .container(account: account, container: container) }
        let object = decoded[2]
        guard object.utf8.count <= constraints.maxObjectNameLength else {
            throw .badRequest("Object name length of \(object.utf8.count) longer than \(constraints.maxObjectNameLength)")
        }
        return .object(account: account, container: container, object: object)
    }

    /// Percent-decodes one piece; invalid UTF-8 or NUL is Swift's 412.
    static func decode(_ piece: String) throws(SwiftError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.utf8.count)
        var iterator = piece.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Hex.value(of:)), let low = iterator.next().flatMap(Hex.value(of:)) else {
                    throw .badRequest("Invalid percent-encoding")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            throw .preconditionFailed("Invalid UTF8 or contains NULL")
        }
        return text
    }
}
