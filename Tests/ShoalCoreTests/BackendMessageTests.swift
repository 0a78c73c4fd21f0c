import Testing
@testable import ShoalCore

struct HeaderFieldsTests {
    @Test func namesCompareWithoutCaseAndKeepOrder() {
        var headers: HeaderFields = ["X-Object-Meta-Color": "blue", "Content-Type": "text/plain"]
        #expect(headers["x-object-meta-color"] == "blue")
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        headers.add("Via", "1")
        headers.add("via", "2")
        #expect(headers.values("VIA") == ["1", "2"])
        headers["Via"] = "3"
        #expect(headers.values("via") == ["3"])
        headers["content-type"] = nil
        #expect(!headers.contains("Content-Type"))
        #expect(headers.fields.map(\.name) == ["X-Object-Meta-Color", "Via"])
    }

    @Test func onlyLettersFoldAndOnlyWholeNamesMatch() {
        let headers: HeaderFields = ["X-A[": "bracket", "X-Ab": "ab"]
        #expect(headers["x-a["] == "bracket")
        #expect(headers["X-A{"] == nil, "[ and { differ by the case bit but are not letters")
        #expect(headers["X-A"] == nil && headers["X-Abc"] == nil && headers["X-AB "] == nil)
        #expect(headers.withPrefix("x-a").map(\.value) == ["bracket", "ab"])
        #expect(headers.withPrefix("x-ab").map(\.value) == ["ab"])
        #expect(headers.withPrefix("x-abc").isEmpty)
    }

    @Test func removingPrefixesKeepsOrderAndCaseOfTheRest() {
        let headers: HeaderFields = ["X-Backend-Index": "1", "Content-Type": "t", "x-OBJECT-sysmeta-s": "2", "X-Object-Meta-M": "m",
                                     "X-Backend": "short"]
        let kept = headers.removingPrefixes(["x-backend-", "x-object-sysmeta-"])
        #expect(kept.fields.map(\.name) == ["Content-Type", "X-Object-Meta-M", "X-Backend"])
        #expect(headers.count == 5, "the original is untouched")
        #expect(kept.removingPrefixes(["x-backend-"]) == kept)
        #expect(HeaderFields().removingPrefixes(["x-"]).isEmpty)
    }

    @Test func prefixesIntegersAndMerging() {
        var headers: HeaderFields = ["X-Container-Meta-A": "1", "x-container-meta-b": "2", "Content-Length": " 42 "]
        #expect(headers.withPrefix("x-container-meta-").map(\.value) == ["1", "2"])
        #expect(headers.integer("content-length") == 42)
        headers["Content-Length"] = "-1"
        #expect(headers.integer("content-length") == nil)
        headers.merge(["X-CONTAINER-META-A": "9", "X-New": "n"])
        #expect(headers.values("x-container-meta-a") == ["9"])
        #expect(headers["x-new"] == "n")
    }
}

/// Backend request and response heads cross the network: every encoding round-trips and
/// random or damaged bytes are rejected with a ``WireError``, never a trap.
struct BackendMessageTests {
    static func randomString(_ random: inout SeededRandom, maxLength: Int) -> String {
        let alphabet = Array("abcXYZ09-_/ .é☃%\u{0}")
        let length = Int.random(in: 1...maxLength, using: &random)
        return String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func randomRequest(_ random: inout SeededRandom) -> BackendRequestHead {
        var headers = HeaderFields()
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            headers.add("X-" + randomString(&random, maxLength: 10), randomString(&random, maxLength: 40))
        }
        var query: [String: String] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            query[randomString(&random, maxLength: 8)] = randomString(&random, maxLength: 8)
        }
        return BackendRequestHead(
            method: ["GET", "PUT", "HEAD", "POST", "DELETE"].randomElement(using: &random)!,
            device: DeviceID("node-\(Int.random(in: 0...99, using: &random))-d0")!,
            partition: Int.random(in: 0...65_535, using: &random),
            account: "AUTH_" + randomString(&random, maxLength: 12),
            container: Bool.random(using: &random) ? randomString(&random, maxLength: 20) : nil,
            object: Bool.random(using: &random) ? randomString(&random, maxLength: 60) : nil,
            query: query, headers: headers)
    }

    @Test func requestAndResponseHeadsRoundTrip() throws {
        var random = SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            let request = Self.randomRequest(&random)
            #expect(try BackendRequestHead(wireBytes: request.wireBytes()) == request)
            let response = BackendResponseHead(status: Int.random(in: 100...599, using: &random), headers: request.headers)
            #expect(try BackendResponseHead(wireBytes: response.wireBytes()) == response)
        }
    }

    @Test func damagedHeadsAreRejectedNotTrapped() {
        var random = SeededRandom(seed: 11)
        var rejected = 0
        for iteration in 0..<10_000 {
            var bytes = Self.randomRequest(&random).wireBytes()
            switch iteration % 3 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            default: bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            do { _ = try BackendRequestHead(wireBytes: bytes) } catch { rejected += 1 }
            _ = try? BackendResponseHead(wireBytes: bytes)
        }
        #expect(rejected > 5_000)
    }

    @Test func responseStatusOutsideHTTPIsRejected() {
        var writer = ByteWriter()
        writer.write(BackendResponseHead.wireVersion)
        writer.write(UInt16(700))
        HeaderFields().encode(into: &writer)
        #expect(throws: WireError.invalidValue(field: "status")) { try BackendResponseHead(wireBytes: writer.bytes) }
    }

    @Test func backendPathNamesDevicePartitionAndNames() {
        let head = BackendRequestHead(method: "PUT", device: DeviceID("n1-d0")!, partition: 12, account: "AUTH_a",
                                      container: "c", object: "o/p")
        #expect(head.path == "/n1-d0/12/AUTH_a/c/o/p")
    }
}

struct ContainerUpdateBatchTests {
    @Test func aBatchRoundTripsAndRefusesWhatDoesNotDecode() throws {
        let updates = (0..<5).map { index in
            ContainerUpdate(operation: index % 2 == 0 ? .put : .delete, account: "AUTH_a", container: "c", object: "o\(index)",
                            timestamp: SwiftTimestamp(ticks: 1_700_000_000_00000 + Int64(index)), sizeBytes: index,
                            contentType: "text/plain", etag: "e\(index)")
        }
        let bytes = ContainerUpdateBatch.encode(updates)
        #expect(try ContainerUpdateBatch.decode(bytes) == updates)
        #expect(throws: WireError.self) { try ContainerUpdateBatch.decode(bytes + [0]) }
        #expect(throws: WireError.self) { try ContainerUpdateBatch.decode(Array(bytes.dropLast())) }
        var tooMany = ByteWriter()
        tooMany.writeVarint(ContainerUpdateBatch.maximumCount + 1)
        #expect(throws: WireError.self) { try ContainerUpdateBatch.decode(tooMany.bytes) }
    }
}
