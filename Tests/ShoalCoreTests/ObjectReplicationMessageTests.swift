import ShoalCore
import Testing

/// The object-replication protocol: every message round-trips, damaged frames are refused
/// without trapping, and the push rules follow last-writer-wins per part.
struct ObjectReplicationMessageTests {
    static let device = DeviceID("n1-d0")!
    static let hash = ObjectHash(hex: "0123456789abcdef0123456789abcdef")!

    static func ts(_ seconds: Int64) -> SwiftTimestamp { SwiftTimestamp(ticks: seconds * SwiftTimestamp.ticksPerSecond) }

    static func messages(_ random: inout SeededRandom) -> (ObjectReplicationRequest, ObjectReplicationResponse) {
        let metadata = ObjectMetadataWireTests.randomMetadata(&random)
        let meta = Bool.random(using: &random) ? ObjectMetadataUpdate(timestamp: metadata.timestamp, userMetadata: ["k": "v"]) : nil
        let base: ObjectReplica.Base = Bool.random(using: &random) ? .data(metadata) : .tombstone(metadata.timestamp)
        let replica = ObjectReplica(path: "/a/c/" + BackendMessageTests.randomString(&random, maxLength: 40), base: base, meta: meta)
        let object = PartitionObject(hash: hash, timestamp: metadata.timestamp, isTombstone: Bool.random(using: &random),
                                     metaTimestamp: meta?.timestamp)
        let partition = Int.random(in: 0...Int(UInt32.max), using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            return (.hashes(device: device, partitions: [partition, 1, 2]), .hashes([partition: ["abc": "0123", "def": "x"], 7: [:]]))
        case 3:
            let known = [partition: UInt64.random(in: 0...UInt64.max, using: &random), 2: 0]
            return (.differingHashes(device: device, partitions: [partition, 1, 2], known: known), .hashes([1: ["abc": "0123"]]))
        case 1:
            return (.objects(device: device, partition: partition, suffixes: ["abc", "0f1"]), .objects([object, object]))
        default:
            return (.push(device: device, partition: partition, replica: replica,
                          parts: ReplicaParts(base: Bool.random(using: &random), meta: Bool.random(using: &random))),
                    [.pushed, .refused("bad checksum"), .full].randomElement(using: &random)!)
        }
    }

    @Test func messagesRoundTripAndDamagedFramesAreRefused() {
        let (seed, generator) = TestSeed.generator(default: 0x5E_9A11)
        var random = generator
        var rejected = 0
        for _ in 0..<5_000 {
            let (request, response) = Self.messages(&random)
            #expect((try? ObjectReplicationRequest(wireBytes: request.wireBytes())) == request, "seed \(seed)")
            #expect((try? ObjectReplicationResponse(wireBytes: response.wireBytes())) == response, "seed \(seed)")
            for var frame in [request.wireBytes(), response.wireBytes()] {
                if Bool.random(using: &random) {
                    frame = Array(frame.prefix(Int.random(in: 0..<frame.count, using: &random)))
                } else {
                    let bit = Int.random(in: 0..<(frame.count * 8), using: &random)
                    frame[bit / 8] ^= 1 << UInt8(bit % 8)
                }
                if (try? ObjectReplicationRequest(wireBytes: frame)) == nil { rejected += 1 }
                if (try? ObjectReplicationResponse(wireBytes: frame)) == nil { rejected += 1 }
            }
        }
        #expect(rejected > 10_000, "seed \(seed)")
    }

    @Test func aPartitionsFingerprintFollowsItsMapAndNothingElse() {
        let map = ["abc": "0123456789abcdef0123456789abcdef", "0f1": "fedcba9876543210fedcba9876543210"]
        var reordered: [String: String] = [:]
        for key in map.keys.sorted().reversed() { reordered[key] = map[key] }
        let digest = PartitionObject.digest(ofSuffixHashes: map)
        #expect(PartitionObject.digest(ofSuffixHashes: reordered) == digest)
        var changed = map
        changed["abc"] = "0123456789abcdef0123456789abcdee"
        var grown = map
        grown["f00"] = "00000000000000000000000000000000"
        var shrunk = map
        shrunk["0f1"] = nil
        // A suffix and its hash cannot trade places with the next line's.
        let shifted = ["abc": "0123456789abcdef0123456789abcdef 0f1", "0f1": ""]
        let others = [changed, grown, shrunk, shifted, [:]].map(PartitionObject.digest(ofSuffixHashes:))
        #expect(!others.contains(digest))
        #expect(Set(others).count == others.count)
        // Objects give the same fingerprint wherever their suffix hashes are computed.
        let objects = [PartitionObject(hash: Self.hash, timestamp: Self.ts(5), isTombstone: false, metaTimestamp: nil)]
        #expect(PartitionObject.digest(ofSuffixHashes: PartitionObject.suffixHashes(objects))
            == PartitionObject.digest(ofSuffixHashes: PartitionObject.suffixHashes(objects.reversed())))
    }

    @Test func pushRulesFollowLastWriterWinsPerPart() {
        let data = PartitionObject(hash: Self.hash, timestamp: Self.ts(10), isTombstone: false, metaTimestamp: nil)
        let posted = PartitionObject(hash: Self.hash, timestamp: Self.ts(10), isTombstone: false, metaTimestamp: Self.ts(20))
        let deleted = PartitionObject(hash: Self.hash, timestamp: Self.ts(30), isTombstone: true, metaTimestamp: nil)
        #expect(data.parts(toUpdate: nil) == ReplicaParts(base: true, meta: false))
        #expect(posted.parts(toUpdate: nil) == ReplicaParts(base: true, meta: true))
        #expect(posted.parts(toUpdate: data) == ReplicaParts(base: false, meta: true))
        #expect(data.parts(toUpdate: posted) == nil)
        #expect(posted.parts(toUpdate: posted) == nil)
        #expect(deleted.parts(toUpdate: posted) == ReplicaParts(base: true, meta: false))
        #expect(posted.parts(toUpdate: deleted) == nil)
        #expect(data.parts(toUpdate: data) == nil)
    }

    @Test func replicaNamesComeFromWellFormedPathsOnly() {
        let base = ObjectReplica.Base.tombstone(Self.ts(1))
        #expect(ObjectReplica(path: "/a/c/o/with/slashes", base: base, meta: nil).names! == ("a", "c", "o/with/slashes"))
        for bad in ["a/c/o", "/a/c", "/a//o", "//c/o", "/a/c/"] {
            #expect(ObjectReplica(path: bad, base: base, meta: nil).names == nil, "\(bad)")
        }
    }
}
