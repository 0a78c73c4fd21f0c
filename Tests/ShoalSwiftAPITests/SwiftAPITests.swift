import ShoalCore
import Testing
@testable import ShoalSwiftAPI

@Suite("Swift paths")
struct SwiftPathTests {
    @Test("account, container and object paths", arguments: [
        ("/v1/AUTH_test", SwiftPath.account("AUTH_test")),
        ("/v1/AUTH_test/", .account("AUTH_test")),
        ("/v1/AUTH_test/photos", .container(account: "AUTH_test", container: "photos")),
        ("/v1/AUTH_test/photos/", .container(account: "AUTH_test", container: "photos")),
        ("/v1/AUTH_test/photos/2024/01/cat.jpg", .object(account: "AUTH_test", container: "photos", object: "2024/01/cat.jpg")),
        ("/v1/AUTH_test/c/a%20b%2Fc", .object(account: "AUTH_test", container: "c", object: "a b/c")),
        ("/v1/AUTH_test/c/%E2%9C%93", .object(account: "AUTH_test", container: "c", object: "✓")),
        ("/v1/AUTH_test/c/../../etc/passwd", .object(account: "AUTH_test", container: "c", object: "../../etc/passwd")),
    ])
    func parses(raw: String, expected: SwiftPath) throws {
        #expect(try SwiftPath.parse(raw) == expected)
    }

    @Test("Swift's errors for bad names")
    func errors() {
        #expect(throws: SwiftError.preconditionFailed("Invalid UTF8 or contains NULL")) { try SwiftPath.parse("/v1/a/c/%FF") }
        #expect(throws: SwiftError.preconditionFailed("Invalid UTF8 or contains NULL")) { try SwiftPath.parse("/v1/a/c/x%00y") }
        #expect(throws: SwiftError.badRequest("Object name length of 1025 longer than 1024")) {
            try SwiftPath.parse("/v1/a/c/" + String(repeating: "o", count: 1025))
        }
        #expect(throws: SwiftError.badRequest("Container name length of 257 longer than 256")) {
            try SwiftPath.parse("/v1/a/" + String(repeating: "c", count: 257))
        }
        #expect(throws: SwiftError.preconditionFailed("Container name cannot be . or ..")) { try SwiftPath.parse("/v1/a/%2E%2E/o") }
        #expect(throws: SwiftError.preconditionFailed("Account name cannot be . or ..")) { try SwiftPath.parse("/v1/./c") }
        #expect(throws: SwiftError.notFound) { try SwiftPath.parse("/v2/a") }
        #expect(throws: SwiftError.notFound) { try SwiftPath.parse("/v1/") }
        #expect(throws: SwiftError.self) { try SwiftPath.parse("/v1/a/c/%G1") }
        // 512 two-byte characters are exactly 1,024 bytes: allowed.
        let longest = String(repeating: "é", count: 512)
        #expect((try? SwiftPath.parse("/v1/a/c/" + longest)) == .object(account: "a", container: "c", object: longest))
    }
}

@Suite("Metadata limits")
struct MetadataRulesTests {
    @Test("user metadata is collected case-insensitively")
    func collects() throws {
        let metadata = try MetadataRules.userMetadata(
            in: [("X-Object-Meta-Color", "blue"), ("x-object-meta-SIZE", "L"), ("Content-Type", "x"), ("X-Container-Meta-A", "no")],
            target: .object)
        #expect(metadata == ["color": "blue", "size": "L"])
    }

    @Test("each limit gives Swift's 400")
    func limits() {
        let long = String(repeating: "n", count: 129)
        #expect(throws: SwiftError.badRequest("Metadata name too long: X-Object-Meta-\(long)")) {
            try MetadataRules.userMetadata(in: [("X-Object-Meta-" + long, "v")], target: .object)
        }
        #expect(throws: SwiftError.badRequest("Metadata value longer than 256: X-Container-Meta-k")) {
            try MetadataRules.userMetadata(in: [("X-Container-Meta-k", String(repeating: "v", count: 257))], target: .container)
        }
        let many = (0..<91).map { ("X-Account-Meta-k\($0)", "v") }
        #expect(throws: SwiftError.badRequest("Too many metadata items; max 90")) {
            try MetadataRules.userMetadata(in: many, target: .account)
        }
        let big = (0..<20).map { ("X-Object-Meta-key\($0)", String(repeating: "v", count: 250)) }
        #expect(throws: SwiftError.badRequest("Total metadata too large; max 4096")) {
            try MetadataRules.userMetadata(in: big, target: .object)
        }
        #expect(throws: SwiftError.badRequest("Metadata name cannot be empty")) {
            try MetadataRules.userMetadata(in: [("X-Object-Meta-", "v")], target: .object)
        }
        let atLimit = (0..<16).map { ("X-Object-Meta-k\(String(format: "%03d", $0))", String(repeating: "v", count: 252)) }
        #expect((try? MetadataRules.userMetadata(in: atLimit, target: .object))?.count == 16)
    }
}

@Suite("Byte ranges")
struct ByteRangesTests {
    @Test("specs resolve against the length", arguments: [
        ("bytes=0-99", [0...99] as [ClosedRange<Int64>]), ("bytes=100-", [100...999]), ("bytes=-10", [990...999]),
        ("bytes=0-0,-1", [0...0, 999...999]), ("bytes=900-5000", [900...999]), ("bytes=-5000", [0...999]),
        ("bytes=1000-", []), ("bytes=-0", []),
    ])
    func resolves(header: String, expected: [ClosedRange<Int64>]) {
        #expect(ByteRanges(header: header)?.resolve(length: 1000) == expected)
    }

    @Test("malformed headers are ignored", arguments: ["bytes=", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes=0-1,", "bytes=--1"])
    func ignored(header: String) {
        #expect(ByteRanges(header: header) == nil)
    }
}

@Suite("Conditional requests")
struct ConditionalRequestTests {
    static func request(_ headers: [String: String]) -> ConditionalRequest {
        ConditionalRequest { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    let etag = "d41d8cd98f00b204e9800998ecf8427e"
    let modified: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test("If-Match and If-None-Match")
    func entityTags() {
        #expect(Self.request(["If-Match": "\"\(etag)\""]).evaluateRead(etag: etag, lastModified: modified) == .proceed)
        #expect(Self.request(["If-Match": "\"other\""]).evaluateRead(etag: etag, lastModified: modified) == .preconditionFailed)
        #expect(Self.request(["If-Match": "*"]).evaluateRead(etag: nil, lastModified: nil) == .preconditionFailed)
        #expect(Self.request(["If-None-Match": "\"a\", \"\(etag)\""]).evaluateRead(etag: etag, lastModified: modified) == .notModified)
        #expect(Self.request(["If-None-Match": "*"]).evaluateRead(etag: etag, lastModified: modified) == .notModified)
        #expect(Self.request(["If-None-Match": "\"a\""]).evaluateRead(etag: etag, lastModified: modified) == .proceed)
    }

    @Test("dates, and match headers taking precedence")
    func dates() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT"
        #expect(Self.request(["If-Modified-Since": date]).evaluateRead(etag: etag, lastModified: modified) == .notModified)
        #expect(Self.request(["If-Modified-Since": date]).evaluateRead(etag: etag, lastModified: modified + 1) == .proceed)
        #expect(Self.request(["If-Unmodified-Since": date]).evaluateRead(etag: etag, lastModified: modified + 1) == .preconditionFailed)
        #expect(Self.request(["If-Unmodified-Since": date, "If-Match": "*"]).evaluateRead(etag: etag, lastModified: modified + 1) == .proceed)
        #expect(Self.request(["If-Modified-Since": "garbage"]).evaluateRead(etag: etag, lastModified: modified) == .proceed)
    }

    @Test("PUT accepts only If-None-Match: *")
    func writes() throws {
        #expect(try Self.request(["If-None-Match": "*"]).evaluateWrite(exists: true) == .preconditionFailed)
        #expect(try Self.request(["If-None-Match": "*"]).evaluateWrite(exists: false) == .proceed)
        #expect(throws: SwiftError.badRequest("If-None-Match only supports *")) {
            try Self.request(["If-None-Match": "\"x\""]).evaluateWrite(exists: true)
        }
    }

    @Test("the three HTTP date formats", arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
    ])
    func httpDates(text: String) {
        #expect(HTTPDateParser.seconds(text) == 784_111_777)
    }
}

@Suite("Auth tokens")
struct AuthTokenTests {
    let sealer = AuthTokenSealer(secret: ClusterSecret(phrase: "cluster"))
    let identity = AuthIdentity(account: "AUTH_test", user: "test:tester", groups: ["test", "test:tester", ".admin"], expiresAt: 2_000)

    @Test("a sealed token opens on any node of the cluster until it expires")
    func roundTrip() throws {
        let token = try sealer.seal(identity, nonce: Array(repeating: 1, count: 12))
        #expect(token.hasPrefix("AUTH_tk"))
        #expect(!token.contains("tester"), "the identity is encrypted")
        let otherNode = AuthTokenSealer(secret: ClusterSecret(phrase: "cluster"))
        #expect(try otherNode.open(token, now: 1_999) == identity)
        #expect(throws: AuthTokenSealer.OpenError.expired) { try otherNode.open(token, now: 2_000) }
        #expect(identity.isAdmin)
    }

    @Test("another cluster's, tampered and malformed tokens are refused")
    func refusals() throws {
        let token = try sealer.seal(identity, nonce: Array(repeating: 2, count: 12))
        #expect(throws: AuthTokenSealer.OpenError.forged) {
            try AuthTokenSealer(secret: ClusterSecret(phrase: "other")).open(token, now: 0)
        }
        var tampered = Array(token)
        tampered[20] = tampered[20] == "A" ? "B" : "A"
        #expect(throws: AuthTokenSealer.OpenError.forged) { try sealer.open(String(tampered), now: 0) }
        for bad in ["", "AUTH_tk", "AUTH_tk!!!", "token", "AUTH_tk" + String(repeating: "A", count: 5000)] {
            #expect(throws: AuthTokenSealer.OpenError.malformed) { try sealer.open(bad, now: 0) }
        }
    }
}
