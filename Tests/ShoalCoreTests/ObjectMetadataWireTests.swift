import Testing
import ShoalCore

/// The object metadata, POST update and container update codecs: round trips at Swift's
/// limits, refusal beyond them, and a fuzz run that must never trap.
struct ObjectMetadataWireTests {
    static let timestamp = SwiftTimestamp(ticks: 1_700_000_000_12345, offset: 3)

    /// User metadata exactly at Swift's limits: 90 items, 4,096 bytes overall, one name of
    /// 128 bytes and one value of 256 bytes.
    static func metadataAtLimits() -> [String: String] {
        var items: [String: String] = [:]
        items[String(repeating: "n", count: 128)] = "v"
        items["big"] = String(repeating: "é", count: 128) // 256 bytes of UTF-8
        var used = 128 + 1 + 3 + 256
        for index in 0..<88 {
            let name = "k\(index)"
            let value = String(repeating: "x", count: index < 87 ? 38 : 0)
            items[name] = value
            used += name.utf8.count + value.utf8.count
        }
        // Pad the last value so the total is exactly 4,096.
        items["k87"] = String(repeating: "y", count: 4_096 - used)
        return items
    }

    @Test func metadataAtSwiftLimitsRoundTrips() throws {
        let user = Self.metadataAtLimits()
        #expect(user.count == 90)
        #expect(user.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count } == 4_096)
        let metadata = ObjectMetadata(
            timestamp: Self.timestamp, contentType: String(repeating: "t", count: 256), contentLength: 12_345,
            etag: "d41d8cd98f00b204e9800998ecf8427e", userMetadata: user,
            otherHeaders: ["Content-Encoding": "gzip", "X-Delete-At": "1800000000", "X-Object-Manifest": "c/p",
                           "X-Static-Large-Object": "True", "Content-Disposition": "attachment"])
        try metadata.validate()
        let decoded = try ObjectMetadata(wireBytes: metadata.wireBytes())
        #expect(decoded == metadata)
        #expect(decoded.otherHeaders["x-static-large-object"] == "True")
    }

    @Test func metadataBeyondLimitsIsRefused() {
        var user = Self.metadataAtLimits()
        user["k0"]! += "z"
        let over = ObjectMetadata(timestamp: Self.timestamp, userMetadata: user)
        #expect(throws: ObjectMetadataLimits.Violation.self) { try over.validate() }
        #expect(throws: WireError.self) { try ObjectMetadata(wireBytes: over.wireBytes()) }
        let longName = ObjectMetadata(timestamp: Self.timestamp, userMetadata: [String(repeating: "n", count: 129): ""])
        #expect(throws: ObjectMetadataLimits.Violation.nameTooLong(String(repeating: "n", count: 129))) { try longName.validate() }
        let longValue = ObjectMetadata(timestamp: Self.timestamp, userMetadata: ["a": String(repeating: "v", count: 257)])
        #expect(throws: ObjectMetadataLimits.Violation.valueTooLong("a")) { try longValue.validate() }
        var many: [String: String] = [:]
        for index in 0..<91 { many["m\(index)"] = "" }
        #expect(throws: ObjectMetadataLimits.Violation.tooManyItems(91)) { try ObjectMetadata(timestamp: Self.timestamp, userMetadata: many).validate() }
        let longType = ObjectMetadata(timestamp: Self.timestamp, contentType: String(repeating: "t", count: 257))
        #expect(throws: ObjectMetadataLimits.Violation.contentTypeTooLong) { try longType.validate() }
    }

    @Test func postKeepsContentFieldsAndStaticLargeObject() {
        let data = ObjectMetadata(timestamp: SwiftTimestamp(ticks: 100), contentType: "text/plain", contentLength: 5, etag: "e",
                                  userMetadata: ["Old": "1"],
                                  otherHeaders: ["x-static-large-object": "True", "content-encoding": "gzip",
                                                 "x-object-sysmeta-slo-etag": "abc"])
        let update = ObjectMetadataUpdate(timestamp: SwiftTimestamp(ticks: 200), userMetadata: ["New": "2"],
                                          otherHeaders: ["X-Delete-At": "99", "X-Object-Sysmeta-Slo-Etag": "forged"])
        let merged = data.applying(update)
        #expect(merged.timestamp == update.timestamp)
        #expect(merged.userMetadata == ["New": "2"])
        // Content fields, the SLO flag and sysmeta belong to the data file; a POST cannot change them.
        #expect(merged.otherHeaders == ["x-delete-at": "99", "x-static-large-object": "True", "x-object-sysmeta-slo-etag": "abc"])
        #expect(merged.contentType == "text/plain" && merged.contentLength == 5 && merged.etag == "e")
    }

    @Test func updateAndContainerUpdateRoundTrip() throws {
        let update = ObjectMetadataUpdate(timestamp: Self.timestamp, userMetadata: Self.metadataAtLimits(),
                                          otherHeaders: ["Content-Disposition": "inline"])
        #expect(try ObjectMetadataUpdate(wireBytes: update.wireBytes()) == update)
        let row = ContainerUpdate(operation: .delete, account: "AUTH_a", container: "c", object: "o/ü", timestamp: Self.timestamp,
                                  sizeBytes: 1 << 40, contentType: "image/png", etag: "abc")
        #expect(try ContainerUpdate(wireBytes: row.wireBytes()) == row)
    }

    @Test func objectHashValidation() {
        #expect(ObjectHash(hex: "0123456789abcdef0123456789abcdef")?.suffix == "def")
        #expect(ObjectHash(hex: "0123456789ABCDEF0123456789abcdef") == nil)
        #expect(ObjectHash(hex: "../../../../etc/passwd0123456789a") == nil)
        #expect(ObjectHash(hex: "0123456789abcdef0123456789abcde") == nil)
        #expect(ObjectHash(hex: "0123456789abcdef0123456789abcdeg") == nil)
        let hasher = PathHasher(prefix: "p", suffix: "s")
        let key = ObjectKey(account: "a", container: "c", object: "o", hasher: hasher, partPower: 10)
        #expect(key?.hash.hex == Hex.encode(hasher.digest(account: "a", container: "c", object: "o")))
        #expect(ObjectKey(account: "a", container: "c", object: "", hasher: hasher, partPower: 10) == nil)
    }

    /// 120,000 frames: valid encodings (which must round-trip), random bytes, truncations,
    /// bit flips and splices, through all three decoders. None may trap.
    @Test func decodersSurviveFuzzedFrames() {
        let (seed, generator) = TestSeed.generator(default: 0x0B1E_C7)
        var random = generator
        var roundTrips = 0
        var rejected = 0
        // Building random values is the slow part in a debug test build: draw from a pool.
        let pool = (0..<512).map { _ in Self.randomMetadata(&random) }
        for iteration in 0..<120_000 {
            let metadata = pool[Int.random(in: 0..<pool.count, using: &random)]
            let encoded: [UInt8]
            switch iteration % 3 {
            case 0: encoded = metadata.wireBytes()
            case 1: encoded = ObjectMetadataUpdate(timestamp: metadata.timestamp, userMetadata: metadata.userMetadata,
                                                   otherHeaders: metadata.otherHeaders).wireBytes()
            default: encoded = ContainerUpdate(operation: .put, account: metadata.contentType, container: "c", object: metadata.etag,
                                               timestamp: metadata.timestamp, sizeBytes: metadata.contentLength).wireBytes()
            }
            var frame = encoded
            switch iteration % 5 {
            case 0:
                if iteration % 3 == 0 {
                    #expect((try? ObjectMetadata(wireBytes: encoded)) == metadata, "seed \(seed) iteration \(iteration)")
                    roundTrips += 1
                }
            case 1:
                frame = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 2:
                frame = Array(encoded.prefix(Int.random(in: 0..<encoded.count, using: &random)))
            case 3:
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    let bit = Int.random(in: 0..<(frame.count * 8), using: &random)
                    frame[bit / 8] ^= 1 << UInt8(bit % 8)
                }
            default:
                let cut = Int.random(in: 0..<encoded.count, using: &random)
                frame = Array(encoded[..<cut]) + [UInt8(0xFF), 0xFF, 0xFF, 0xFF, 0x7F] + Array(encoded[cut...])
            }
            var failures = 0
            if (try? ObjectMetadata(wireBytes: frame)) == nil { failures += 1 }
            if (try? ObjectMetadataUpdate(wireBytes: frame)) == nil { failures += 1 }
            if (try? ContainerUpdate(wireBytes: frame)) == nil { failures += 1 }
            rejected += failures
        }
        #expect(roundTrips == 8_000, "seed \(seed)")
        #expect(rejected > 120_000, "seed \(seed)")
    }

    static func randomMetadata(_ random: inout SeededRandom) -> ObjectMetadata {
        func text(_ maximum: Int) -> String {
            String((0..<Int.random(in: 0...maximum, using: &random)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random)))
            })
        }
        var user: [String: String] = [:]
        for index in 0..<Int.random(in: 0...12, using: &random) { user["m\(index)" + text(8)] = text(40) }
        var other: [String: String] = [:]
        if Bool.random(using: &random) { other["content-encoding"] = text(10) }
        if Bool.random(using: &random) { other["x-delete-at"] = String(Int.random(in: 0...2_000_000_000, using: &random)) }
        return ObjectMetadata(
            timestamp: SwiftTimestamp(ticks: Int64.random(in: 0...SwiftTimestamp.maximumTicks, using: &random),
                                      offset: Bool.random(using: &random) ? 0 : random.next()),
            contentType: text(30), contentLength: Int.random(in: 0...Int(Int32.max), using: &random),
            etag: text(32), userMetadata: user, otherHeaders: other)
    }
}
