import Foundation
import ShoalCore
import ShoalSwiftAPI
import Testing
@testable import ShoalKeystoneAPI

@Suite("Identity tokens")
struct KeystoneTokenTests {
    let secret = ClusterSecret(phrase: "identity tests")
    let now: Int64 = 1_800_000_000

    func token(issued: Int64? = nil, lifetime: Int64 = 3600) -> KeystoneToken {
        let issuedAt = issued ?? now
        return KeystoneToken(
            user: .init(id: "u1", name: "alice"), userDomain: .init(id: "default", name: "Default"), methods: ["password"],
            scope: .project(.init(id: "p1", name: "demo"), domain: .init(id: "default", name: "Default"), isDomain: false),
            roles: [.init(id: "r1", name: "member"), .init(id: "r2", name: "reader")], issuedAt: issuedAt,
            expiresAt: issuedAt + lifetime, auditIDs: ["audit-1"])
    }

    @Test("a sealed token opens on any node of the cluster and on no other")
    func roundTrip() throws {
        let sealer = KeystoneTokenSealer(secret: secret)
        let text = try sealer.seal(token(), nonce: Array(repeating: 7, count: 12))
        #expect(text.hasPrefix("gAAAA") && text.count < 400)
        #expect(try KeystoneTokenSealer(secret: secret).open(text, now: now + 10) == token())
        #expect(throws: KeystoneTokenSealer.OpenError.unrecognized) {
            try KeystoneTokenSealer(secret: ClusterSecret(phrase: "another cluster")).open(text, now: now + 10)
        }
    }

    @Test("a tampered, truncated or foreign token is refused without trapping")
    func tampering() throws {
        let sealer = KeystoneTokenSealer(secret: secret)
        let text = try sealer.seal(token(), nonce: Array(repeating: 1, count: 12))
        var bytes = Array(text.utf8)
        for index in stride(from: 5, to: bytes.count, by: 7) {
            let original = bytes[index]
            bytes[index] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(throws: KeystoneTokenSealer.OpenError.unrecognized) { try sealer.open(String(decoding: bytes, as: UTF8.self), now: now) }
            bytes[index] = original
        }
        for bad in ["", "gAAAA", String(text.dropLast(10)), "AUTH_tk" + text, text + "A", String(repeating: "g", count: 5000)] {
            #expect(throws: KeystoneTokenSealer.OpenError.unrecognized) { try sealer.open(bad, now: now) }
        }
    }

    @Test("a token expires, and a key older than the longest token life is never accepted again")
    func expiryAndRotation() throws {
        let sealer = KeystoneTokenSealer(secret: secret, rotationSeconds: 3600, maximumLifetime: 7200)
        let text = try sealer.seal(token(lifetime: 3600), nonce: Array(repeating: 2, count: 12))
        #expect(throws: KeystoneTokenSealer.OpenError.expired) { try sealer.open(text, now: now + 3600) }
        // Keys rotate every hour: tokens of the last periods still open with their own keys.
        let older = try sealer.seal(token(issued: now - 5400, lifetime: 7200), nonce: Array(repeating: 3, count: 12))
        #expect(try sealer.open(older, now: now).issuedAt == now - 5400)
        // A (forged) long-lived token from a period past the longest life is refused outright.
        let ancient = try sealer.seal(token(issued: now - 20_000, lifetime: 100_000), nonce: Array(repeating: 4, count: 12))
        #expect(throws: KeystoneTokenSealer.OpenError.unrecognized) { try sealer.open(ancient, now: now) }
    }

    @Test("the token document has Keystone's fields and formats")
    func document() throws {
        let service = IdentityService(id: "s1", type: "object-store", name: "swift")
        let endpoints = [
            IdentityEndpoint(id: "e1", interface: "public", regionID: "RegionOne",
                             url: IdentityEndpoint.nodePlaceholder + "/v1/AUTH_$(project_id)s", serviceID: "s1"),
            IdentityEndpoint(id: "e2", interface: "admin", regionID: "RegionOne", url: "http://x/v1", serviceID: "s1", enabled: false),
        ]
        let catalog = TokenDocument.catalog([.init(service: service, endpoints: endpoints)], for: token(), nodeURL: "http://n:8080")
        let body = TokenDocument.render(token(), catalog: catalog)["token"]!
        #expect(body["expires_at"] == "2027-01-15T09:00:00.000000Z" && body["issued_at"] == "2027-01-15T08:00:00.000000Z")
        #expect(body["user"]?["domain"] == ["id": "default", "name": "Default"])
        #expect(body["project"]?["domain"]?["name"] == "Default" && body["is_domain"] == false)
        #expect(body["roles"]?.array?.count == 2)
        let endpoint = body["catalog"]?.array?.first?["endpoints"]?.array
        #expect(endpoint == [["id": "e1", "interface": "public", "region_id": "RegionOne", "region": "RegionOne",
                              "url": "http://n:8080/v1/AUTH_p1"]])
        var unscoped = token()
        unscoped.scope = .unscoped
        let bare = TokenDocument.render(unscoped, catalog: [])["token"]!
        #expect(bare["roles"] == nil && bare["catalog"] == nil && bare["project"] == nil)
    }

    @Test("timestamps format and parse as Keystone writes them")
    func time() {
        #expect(KeystoneTime.format(0) == "1970-01-01T00:00:00.000000Z")
        #expect(KeystoneTime.format(951_782_400) == "2000-02-29T00:00:00.000000Z")
        #expect(KeystoneTime.format(1_700_000_000) == "2023-11-14T22:13:20.000000Z")
        #expect(KeystoneTime.parse(KeystoneTime.format(4_102_444_799)) == 4_102_444_799)
        for seconds: Int64 in [0, 1, 951_782_400, now, 4_102_444_799] {
            #expect(KeystoneTime.parse(KeystoneTime.format(seconds)) == seconds)
        }
        #expect(KeystoneTime.parse("2018-02-27T18:30:59Z") == 1_519_756_259)
        #expect(KeystoneTime.parse("2018-02-27T18:30:59") == 1_519_756_259)
        for bad in ["", "2018-02-27", "2018-13-01T00:00:00Z", "2018-02-27T18:30:59+02:00", "2018-02-27T18:30:59.Z"] {
            #expect(KeystoneTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("passwords are stored as salted PBKDF2 and verified in constant time")
    func passwords() {
        let stored = PasswordHash.make("s3cret", salt: Array(repeating: 9, count: 16), rounds: PasswordHash.minimumRounds)
        #expect(stored.hasPrefix("pbkdf2-sha256$210000$") && !stored.contains("s3cret"))
        #expect(PasswordHash.verify("s3cret", against: stored))
        #expect(!PasswordHash.verify("s3cret ", against: stored))
        #expect(PasswordHash.make("s3cret", salt: Array(repeating: 8, count: 16), rounds: PasswordHash.minimumRounds) != stored)
        for bad in ["", "pbkdf2-sha256$1$00$00", "md5$x$y$z", stored + "$"] { #expect(!PasswordHash.verify("s3cret", against: bad)) }
    }

    @Test("a revoked audit id, user or project refuses the tokens issued before it")
    func revocations() {
        let list = RevocationList()
        #expect(!list.isRevoked(token()))
        list.record(.user("u1"), at: now - 1)
        #expect(!list.isRevoked(token()), "issued after the user's revocation")
        list.record(.project("p1"), at: now)
        #expect(list.isRevoked(token()))
        let other = RevocationList()
        other.record(.auditID("audit-1"), at: now - 100)
        #expect(other.isRevoked(token()))
        other.expire(before: now)
        #expect(!other.isRevoked(token()))
    }
}

@Suite("Identity auth requests")
struct AuthRequestTests {
    func parse(_ json: String) throws(KeystoneError) -> AuthRequest {
        try AuthRequest.parse(try! JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
    }

    @Test("password, token and scopes parse as keystoneauth sends them")
    func valid() throws {
        let byName = try parse("""
            {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Default"},
             "password": "pw"}}}, "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
            """)
        #expect(byName == AuthRequest(method: .password(.name("admin", domain: .name("Default")), password: "pw"),
                                      scope: .project(.name("admin", domain: .id("default")))))
        let token = try parse(#"{"auth": {"identity": {"methods": ["token"], "token": {"id": "gAAAAx"}}, "scope": {"domain": {"id": "d"}}}}"#)
        #expect(token == AuthRequest(method: .token("gAAAAx"), scope: .domain(.id("d"))))
        let unscoped = try parse(#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "u", "password": "p"}}}, "scope": "unscoped"}}"#)
        #expect(unscoped.scope == .unscoped)
        #expect(try parse(#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "u", "password": "p"}}}}}"#).scope == .defaultProject)
    }

    @Test("malformed bodies get Keystone's 400 (or 401 for an unknown method)")
    func invalid() {
        let cases: [(String, Int)] = [
            ("{}", 400),
            (#"{"auth": {}}"#, 400),
            (#"{"auth": {"identity": {"methods": []}}}"#, 400),
            (#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": "p"}}}}}"#, 400),
            (#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "a", "password": "p"}}}}}"#, 400),
            (#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "u"}}}}}"#, 400),
            (#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "u", "password": "p"}}}, "scope": {"project": {"name": "x"}}}}"#, 400),
            (#"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "u", "password": "p"}}}, "scope": {"project": {"id": "x"}, "domain": {"id": "d"}}}}"#, 400),
            (#"{"auth": {"identity": {"methods": ["totp"]}}}"#, 401),
        ]
        for (body, status) in cases {
            do {
                _ = try parse(body)
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.status == status, "\(body)")
                #expect(error.body["error"]?["title"] != nil)
            }
        }
    }
}

struct RevocationAnnouncementTests {
    @Test func everyEventKindTravelsAndComesBack() {
        let events: [RevocationList.Event] = [.auditID("Zm9v-YmFy_"), .user("u1"), .project("p.with.dots"), .applicationCredential("c")]
        for event in events {
            #expect(RevocationList.Event(key: event.key) == event)
            let bytes = RevocationList.announcement(event, at: 1_795_000_000)
            #expect(RevocationList.parseAnnouncement(bytes)?.0 == event && RevocationList.parseAnnouncement(bytes)?.1 == 1_795_000_000)
        }
        for bad in ["", "1795000000", "x audit.a", "1795000000 audit.", "1795000000 group.g", "1795000000audit.a"] {
            #expect(RevocationList.parseAnnouncement(Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
