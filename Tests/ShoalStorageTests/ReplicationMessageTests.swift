import Foundation
import Testing
import ShoalCore
@testable import ShoalSQLite
@testable import ShoalStorage

/// `REPLICATE` bodies: rows travel in the binary form and come back equal, a JSON body (as
/// older senders wrote `mergeItems`, and as `sync` still goes) is read too, and anything
/// malformed is refused rather than half-read.
struct ReplicationMessageTests {
    static let objectRows = [
        ObjectRecord(name: "a/ü/nested name", timestamp: SwiftTimestamp(ticks: 1_700_000_000_12345, offset: 3), size: 4_096,
                     contentType: "text/plain;swift_bytes=9", etag: "d41d8cd98f00b204e9800998ecf8427e", rowID: 7),
        .tombstone(name: "gone", timestamp: SwiftTimestamp(ticks: 1_700_000_001_00000, offset: 0)),
        ObjectRecord(name: "", timestamp: SwiftTimestamp(ticks: 0, offset: 0), size: -1, contentType: "", etag: "", rowID: Int64.max),
    ]

    @Test func objectRowsRoundTripInTheBinaryForm() throws {
        let request = ReplicationRequest<ObjectRecord>.mergeItems(sourceID: UUID().uuidString, items: Self.objectRows, syncPoint: 42)
        let body = try request.body()
        #expect(body.first == ReplicationRequest<ObjectRecord>.mergeItemsTag)
        guard case .mergeItems(let source, let items, let point)? = ReplicationRequest<ObjectRecord>(body: body),
              case .mergeItems(let sentSource, _, _) = request
        else { Issue.record("not read back as mergeItems"); return }
        #expect(source == sentSource && items == Self.objectRows && point == 42)
    }

    @Test func containerRowsRoundTripWithTheirDeletedFlagAsSent() throws {
        let put = SwiftTimestamp(ticks: 1_600_000_000_00000, offset: 0)
        let later = SwiftTimestamp(ticks: 1_600_000_100_00000, offset: 0)
        var flagged = ContainerRecord(name: "c2", putTimestamp: put, deleteTimestamp: later, objectCount: 3, bytesUsed: 9, rowID: 2)
        flagged.deleted = true  // as a sender's broker may have decided, though its counts say otherwise
        let rows = [ContainerRecord(name: "c1", putTimestamp: later, deleteTimestamp: put, objectCount: 5, bytesUsed: 1 << 40, rowID: 1),
                    flagged]
        let body = try ReplicationRequest<ContainerRecord>.mergeItems(sourceID: "id", items: rows, syncPoint: 2).body()
        guard case .mergeItems(_, let items, _)? = ReplicationRequest<ContainerRecord>(body: body) else {
            Issue.record("not read back"); return
        }
        #expect(items == rows)
    }

    @Test func jsonBodiesAreStillRead() throws {
        let json = Array(try JSONEncoder().encode(ReplicationRequest<ObjectRecord>.mergeItems(sourceID: "old", items: Self.objectRows,
                                                                                             syncPoint: 9)))
        guard case .mergeItems(let source, let items, let point)? = ReplicationRequest<ObjectRecord>(body: json) else {
            Issue.record("JSON mergeItems not read"); return
        }
        #expect(source == "old" && items == Self.objectRows && point == 9)
        let info = ReplicationInfo(account: "AUTH_a", container: "c", createdAt: SwiftTimestamp(ticks: 1, offset: 0),
                                   putTimestamp: SwiftTimestamp(ticks: 2, offset: 0), deleteTimestamp: SwiftTimestamp(ticks: 0, offset: 0),
                                   statusChangedAt: SwiftTimestamp(ticks: 2, offset: 0), statusDeleted: false, metadata: TimestampedMetadata(),
                                   id: "x", maxRow: 5)
        let sync = try ReplicationRequest<ObjectRecord>.sync(info).body()
        #expect(sync.first == UInt8(ascii: "{"))
        guard case .sync(let back)? = ReplicationRequest<ObjectRecord>(body: sync) else { Issue.record("sync not read"); return }
        #expect(back == info)
    }

    @Test func malformedBodiesAreRefused() throws {
        let body = try ReplicationRequest<ObjectRecord>.mergeItems(sourceID: "s", items: Self.objectRows, syncPoint: 1).body()
        #expect(ReplicationRequest<ObjectRecord>(body: []) == nil)
        #expect(ReplicationRequest<ObjectRecord>(body: Array("{not json".utf8)) == nil)
        #expect(ReplicationRequest<ObjectRecord>(body: body + [0]) == nil, "trailing bytes")
        for cut in stride(from: 1, to: body.count, by: 7) {
            #expect(ReplicationRequest<ObjectRecord>(body: Array(body.prefix(cut))) == nil, "cut at \(cut)")
        }
        // A count far beyond what the bytes could hold is refused before anything is allocated.
        var writer = ByteWriter()
        writer.write(ReplicationRequest<ObjectRecord>.mergeItemsTag)
        writer.writeString("s")
        writer.write(Int64(1))
        writer.writeVarint(UInt64(1) << 40)
        #expect(ReplicationRequest<ObjectRecord>(body: writer.bytes) == nil)
    }
}
