import Testing
@testable import ShoalCore

@Suite("Wire primitives")
struct WireTests {
    @Test("integers, varints, strings and bytes round-trip")
    func roundTrip() throws {
        var writer = ByteWriter()
        writer.write(UInt8(7))
        writer.write(UInt16(0xBEEF))
        writer.write(UInt32(0xDEAD_BEEF))
        writer.write(UInt64.max)
        writer.write(Int64(-5))
        writer.write(3.25)
        writer.write(true)
        for value: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] { writer.writeVarint(value) }
        writer.writeString("héllo")
        writer.writeBytes([1, 2, 3])
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt8() == 7)
        #expect(try reader.readUInt16() == 0xBEEF)
        #expect(try reader.readUInt32() == 0xDEAD_BEEF)
        #expect(try reader.readUInt64() == .max)
        #expect(try reader.readInt64() == -5)
        #expect(try reader.readDouble() == 3.25)
        #expect(try reader.readBool() == true)
        for value: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] { #expect(try reader.readVarint() == value) }
        #expect(try reader.readString() == "héllo")
        #expect(try reader.readBytes() == [1, 2, 3])
        try reader.expectEnd()
    }

    @Test("truncated, overlong and invalid input throws instead of trapping")
    func malformed() {
        var short = ByteReader([0x01])
        #expect(throws: WireError.truncated(needed: 2, available: 1)) { try short.readUInt16() }
        var overflow = ByteReader([UInt8](repeating: 0xFF, count: 11))
        #expect(throws: WireError.self) { try overflow.readVarint() }
        var hugeLength = ByteReader([0xFF, 0xFF, 0xFF, 0x0F, 0x41])
        #expect(throws: WireError.self) { try hugeLength.readBytes() }
        var badUTF8 = ByteReader([0x02, 0xC3, 0x28])
        #expect(throws: WireError.invalidUTF8(field: "string")) { try badUTF8.readString() }
        var badBool = ByteReader([0x02])
        #expect(throws: WireError.self) { try badBool.readBool() }
        #expect(throws: WireError.trailingBytes(count: 1)) { try NodeID(wireBytes: NodeID("a")!.wireBytes() + [0]) }
        #expect(throws: WireError.invalidValue(field: "node id")) { try NodeID(wireBytes: [0x02, 0x2F, 0x2F]) }
    }

    @Test("strings read in place agree with the standard library's validation, byte for byte", arguments: [1, 2, 3])
    func stringsAgainstValidation(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        // Pieces of ASCII, valid multi-byte UTF-8 and bytes that are not UTF-8, placed at
        // every alignment (a word-at-a-time test must see a high bit in the head and tail).
        let pieces: [[UInt8]] = [
            Array("x-object-meta-colour".utf8), Array("é".utf8), Array("日本".utf8), Array("🐟".utf8),
            [0x80], [0xC3, 0x28], [0xE2, 0x82], [0xFF], [0xED, 0xA0, 0x80], [0],
        ]
        for _ in 0..<2_000 {
            var raw: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                if Bool.random(using: &random) {
                    raw += (0..<Int.random(in: 0...19, using: &random)).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) }
                } else {
                    raw += pieces.randomElement(using: &random)!
                }
            }
            var writer = ByteWriter()
            writer.write(UInt8(0xAB))
            writer.writeBytes(raw)
            writer.write(UInt8(0xCD))
            var reader = ByteReader(writer.bytes)
            #expect(try reader.readUInt8() == 0xAB)
            if let expected = String(validating: raw, as: UTF8.self) {
                let read = try reader.readString()
                #expect(read == expected)
                #expect(Array(read.utf8) == raw)
                #expect(try reader.readUInt8() == 0xCD)
            } else {
                #expect(throws: WireError.invalidUTF8(field: "string")) { try reader.readString() }
            }
        }
    }

    @Test("the envelope header is 20 bytes and round-trips every kind")
    func envelope() throws {
        for kind in Envelope.Kind.allCases {
            let envelope = Envelope(kind: kind, channel: .membership, status: .notFound, correlationID: 0xABCDEF, sequence: 9)
            let bytes = envelope.wireBytes()
            #expect(bytes.count == Envelope.encodedSize)
            #expect(try Envelope(wireBytes: bytes) == envelope)
        }
        var wrongVersion = Envelope(kind: .oneway, channel: .echo).wireBytes()
        wrongVersion[2] = 9
        #expect(throws: WireError.unsupportedVersion(9)) { try Envelope(wireBytes: wrongVersion) }
        #expect(throws: WireError.badMagic) { try Envelope(wireBytes: [UInt8](repeating: 0, count: 20)) }
    }
}

@Suite("Identity and addresses")
struct IdentityTests {
    @Test("an inline payload splits back into its head and body, however long either is",
          arguments: [(0, 0), (0, 5), (7, 0), (40, 4_096), (300, 65_536)])
    func inlineBodyRoundTrips(headBytes: Int, bodyBytes: Int) throws {
        let head = (0..<headBytes).map { UInt8(truncatingIfNeeded: $0) }
        let body = (0..<bodyBytes).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let payload = InlineBody.encode(head: head, body: body)
        #expect(payload.count == InlineBody.lengthBytes + headBytes + bodyBytes)
        let decoded = try InlineBody.decode(payload)
        #expect(decoded.head == head && decoded.body == body)
    }

    @Test("an inline payload whose head length runs past its end, or too short to hold one, throws")
    func inlineBodyRejectsBadLengths() throws {
        #expect(throws: WireError.lengthOutOfRange(field: "inline.head", value: 3)) { try InlineBody.decode([0, 0, 0, 3, 1, 2]) }
        #expect(throws: WireError.lengthOutOfRange(field: "inline.head", value: UInt64(UInt32.max))) {
            try InlineBody.decode([0xFF, 0xFF, 0xFF, 0xFF])
        }
        #expect(throws: WireError.truncated(needed: 4, available: 2)) { try InlineBody.decode([0, 1]) }
        #expect(try InlineBody.decode([0, 0, 0, 2, 8, 9]).head == [8, 9])
    }

    @Test("cluster addresses parse host:port and [v6]:port and reject the rest",
          arguments: ["127.0.0.1:7000", "localhost:1", "[::1]:8080", "node-2.example:65535"])
    func goodAddresses(text: String) {
        #expect(ClusterAddress(text)?.description == text)
    }

    @Test("bad addresses are rejected", arguments: ["", "host", "host:", ":80", "host:0", "host:70000", "::1:80", "[::1]80", "a b:1", "h/x:1"])
    func badAddresses(text: String) {
        #expect(ClusterAddress(text) == nil)
    }

    @Test("node ids allow letters, digits, dot, dash and underscore up to 64")
    func nodeIDs() {
        #expect(NodeID("node-1.zone_a") != nil)
        #expect(NodeID("") == nil)
        #expect(NodeID("a/b") == nil)
        #expect(NodeID(String(repeating: "x", count: 65)) == nil)
        #expect(DeviceID(node: NodeID("n1")!, index: 3).rawValue == "n1-d3")
    }

    @Test("cluster secrets round-trip through text and derive distinct keys")
    func secrets() {
        var random = SeededRandom(seed: 1)
        let secret = ClusterSecret.generate(using: &random)
        #expect(ClusterSecret(text: "  \(secret.text)\n") == secret)
        #expect(ClusterSecret(text: "shoal1:abcd") == nil)
        #expect(ClusterSecret(text: String(secret.text.dropFirst(7))) == nil)
        #expect(secret.derive("a") != secret.derive("b"))
        #expect(secret.derive("a") == secret.derive("a"))
        #expect(!secret.description.contains(Hex.encode(secret.bytes)))
        #expect(secret.pathHasher != ClusterSecret.generate(using: &random).pathHasher)
    }

    @Test("the seeded generator replays")
    func seededRandom() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }
}

@Suite("Config file")
struct ConfigFileTests {
    @Test("keys, sections, comments and dashes")
    func parses() throws {
        let file = try ConfigFile(parsing: """
            # a comment
            name = node1
            data-dir = /var/lib/shoal
            [rest]
            port = 8080 
            ; another
            [cluster]
            bind=0.0.0.0:7000
            """)
        #expect(file["name"] == "node1")
        #expect(file["data_dir"] == "/var/lib/shoal")
        #expect(file["rest.port"] == "8080")
        #expect(file["cluster.bind"] == "0.0.0.0:7000")
    }

    @Test("malformed lines name their line number")
    func errors() {
        #expect(throws: ConfigFile.ParseError(line: 2, reason: "expected key = value")) {
            try ConfigFile(parsing: "a = 1\njunk\n")
        }
        #expect(throws: ConfigFile.ParseError(line: 2, reason: "a is set twice")) { try ConfigFile(parsing: "a = 1\na = 2") }
        #expect(throws: ConfigFile.ParseError.self) { try ConfigFile(parsing: "[broken") }
    }
}

@Suite("Control messages")
struct ControlMessageTests {
    static let samples: [ControlResponse] = [
        .clusterInfo(ClusterInfo(ring: .default, secretFingerprint: "abcd1234", node: NodeID("node1")!)),
        .removed(node: NodeID("node3")!, devices: 2),
        .refused(reason: "no such node"),
    ]

    @Test("requests and responses round-trip")
    func roundTrip() throws {
        for request in [ControlRequest.clusterInfo, .removeNode(NodeID("n-2")!)] {
            #expect(try ControlRequest(wireBytes: request.wireBytes()) == request)
        }
        for response in Self.samples { #expect(try ControlResponse(wireBytes: response.wireBytes()) == response) }
    }

    @Test("random and mutated frames never trap")
    func fuzz() {
        var (seed, random) = TestSeed.generator(default: 0xF022)
        let valid = Self.samples.map { $0.wireBytes() } + [ControlRequest.removeNode(NodeID("x")!).wireBytes()]
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                bytes = valid.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            }
            // Whatever decodes must survive its own re-encoding unchanged.
            if let response = try? ControlResponse(wireBytes: bytes) {
                #expect((try? ControlResponse(wireBytes: response.wireBytes())) == response, "seed \(seed)")
            }
            if let request = try? ControlRequest(wireBytes: bytes) {
                #expect((try? ControlRequest(wireBytes: request.wireBytes())) == request, "seed \(seed)")
            }
        }
    }
}
