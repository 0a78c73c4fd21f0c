import Testing
import ShoalCore
import ShoalPorts
import ShoalSimulation
import ShoalSwiftAPI
@testable import ShoalStorage

/// The object server's answers, one node at a time (container updates go to a container
/// created on every node, so none is left pending unless a test wants one).
struct ObjectServerTests {
    let path = "AUTH_test/photos/cat.jpg"

    @Test func putGetHeadDeleteRoundTrip() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            let put = try await cluster.putObject(path, "meow meow", at: ts(10), headers: [
                "X-Object-Meta-Color": "grey", "Content-Disposition": "inline", "X-Object-Sysmeta-Owner": "alice",
                "X-Unrelated": "dropped",
            ])
            #expect(put.status == 201)
            let etag = ETagHasher.hex(of: Array("meow meow".utf8))
            #expect(put.headers["ETag"] == "\"\(etag)\"")

            let get = try await cluster.send(cluster.request("GET", path))
            #expect(get.status == 200)
            #expect(get.text == "meow meow")
            #expect(get.headers["Content-Length"] == "9")
            #expect(get.headers["Content-Type"] == "text/plain")
            #expect(get.headers["ETag"] == "\"\(etag)\"")
            #expect(get.headers["X-Timestamp"] == ts(10).normal)
            #expect(get.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:30 GMT")
            #expect(get.headers["Accept-Ranges"] == "bytes")
            #expect(get.headers["X-Object-Meta-Color"] == "grey")
            #expect(get.headers["Content-Disposition"] == "inline")
            #expect(get.headers["X-Object-Sysmeta-Owner"] == "alice")
            #expect(get.headers["X-Unrelated"] == nil)

            let head = try await cluster.send(cluster.request("HEAD", path))
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["Content-Length"] == "9")

            let delete = try await cluster.send(cluster.request("DELETE", path, headers: [BackendHeader.timestamp: ts(20).internal]))
            #expect(delete.status == 204)
            let gone = try await cluster.send(cluster.request("GET", path))
            #expect(gone.status == 404)
            #expect(gone.headers[BackendHeader.backendTimestamp] == ts(20).internal)
            let again = try await cluster.send(cluster.request("DELETE", path, headers: [BackendHeader.timestamp: ts(30).internal]))
            #expect(again.status == 404)
            let stale = try await cluster.send(cluster.request("DELETE", path, headers: [BackendHeader.timestamp: ts(25).internal]))
            #expect(stale.status == 404)
        }
    }

    /// The proxy's ETag footer: the 32 hex digits after Content-Length bytes are the ETag
    /// stored and answered (the server does not hash the body again: a digest that is not the
    /// body's MD5 is stored as given, for the auditor to catch); a footer cut short, too long,
    /// not an MD5, without a length, or not the client's ETag stores nothing.
    @Test func anETagFooterCarriesTheETagTheProxyComputed() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            let body = "meow meow"
            let md5 = ETagHasher.hex(of: Array(body.utf8))
            let footed: HeaderFields = [BackendHeader.etagFooter: "md5", "Content-Length": String(body.utf8.count)]
            func put(_ footer: String, at seconds: Int64, _ extra: HeaderFields = HeaderFields()) async throws -> Answer {
                var headers = footed
                headers.merge(extra)
                return try await cluster.putObject(path, body + footer, at: ts(seconds), headers: headers)
            }
            for (footer, status) in [(String(md5.prefix(20)), 499), (md5 + "0", 499), (String(repeating: "z", count: 32), 400)] {
                #expect(try await put(footer, at: 1).status == status, "\(footer)")
            }
            let mismatch = try await put(md5, at: 1, ["ETag": ETagHasher.hex(of: [1])])
            #expect(mismatch.status == 422)
            var unmeasured = cluster.request("PUT", path, headers: [BackendHeader.timestamp: ts(1).internal, "Content-Type": "text/plain",
                                                                   BackendHeader.etagFooter: "md5"])
            unmeasured.headers.merge(cluster.containerTarget("AUTH_test", "photos", node: 0))
            #expect(try await cluster.send(unmeasured, body: Array((body + md5).utf8)).status == 400)
            #expect(try await cluster.send(cluster.request("GET", path)).status == 404, "nothing was stored")

            let stored = try await put(md5, at: 2, ["ETag": md5])
            #expect(stored.status == 201 && stored.headers["ETag"] == "\"\(md5)\"")
            let get = try await cluster.send(cluster.request("GET", path))
            #expect(get.text == body && get.headers["ETag"] == "\"\(md5)\"" && get.headers["Content-Length"] == "9")

            let other = ETagHasher.hex(of: Array("not the body".utf8))
            #expect(try await put(other, at: 3).headers["ETag"] == "\"\(other)\"")
            #expect(try await cluster.send(cluster.request("HEAD", path)).headers["ETag"] == "\"\(other)\"")

            // An empty body's footer comes alone.
            let empty = try await cluster.putObject(path, ETagHasher.hex(of: []), at: ts(4),
                                                    headers: [BackendHeader.etagFooter: "md5", "Content-Length": "0"])
            #expect(empty.status == 201 && empty.headers["ETag"] == "\"\(ETagHasher.hex(of: []))\"")
        }
    }

    @Test func lastModifiedRoundsUpToTheSecond() {
        let metadata = ObjectMetadata(timestamp: SwiftTimestamp("1700000010.00001")!)
        #expect(metadata.lastModifiedSeconds == 1_700_000_011)
        #expect(ObjectMetadata(timestamp: ts(10)).lastModifiedSeconds == 1_700_000_010)
        #expect(HTTPDateParser.format(seconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func putIsRefusedForBadRequests() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            let noTimestamp = try await cluster.send(cluster.request("PUT", path, headers: ["Content-Type": "text/plain"]), body: [])
            #expect(noTimestamp.status == 400)
            let noType = try await cluster.send(cluster.request("PUT", path, headers: [BackendHeader.timestamp: ts(1).internal]), body: [])
            #expect(noType.status == 400)
            #expect(noType.text == "No content type")
            let badETag = try await cluster.putObject(path, "abc", at: ts(2), headers: ["ETag": "0123456789abcdef0123456789abcdef"])
            #expect(badETag.status == 422)
            let longName = String(repeating: "n", count: 129)
            let badMeta = try await cluster.putObject(path, "abc", at: ts(3), headers: ["X-Object-Meta-\(longName)": "v"])
            #expect(badMeta.status == 400)
            let past = try await cluster.putObject(path, "abc", at: ts(4), headers: ["X-Delete-At": "1700000000"])
            #expect(past.status == 400)
            #expect(past.text == "X-Delete-At in past")
            let short = try await cluster.putObject(path, "abc", at: ts(4), headers: ["Content-Length": "10"])
            #expect(short.status == 499)
            let long = try await cluster.putObject(path, "abc", at: ts(4), headers: ["Content-Length": "2"])
            #expect(long.status == 499)
            #expect(try await cluster.send(cluster.request("GET", path)).status == 404)

            let goodETag = try await cluster.putObject(path, "abc", at: ts(5), headers: ["ETag": "\"\(ETagHasher.hex(of: Array("abc".utf8)))\""])
            #expect(goodETag.status == 201)
            let exists = try await cluster.putObject(path, "abcd", at: ts(6), headers: ["If-None-Match": "*"])
            #expect(exists.status == 412)
            let older = try await cluster.putObject(path, "older", at: ts(4))
            #expect(older.status == 409)
            #expect(older.headers[BackendHeader.backendTimestamp] == ts(5).internal)
            #expect(try await cluster.send(cluster.request("GET", path)).text == "abc")

            var unknown = cluster.request("GET", path)
            unknown.device = DeviceID("elsewhere-d9")!
            #expect(await cluster.nodes[0].objectServer.handle(unknown, body: nil).status == 507)
            #expect(try await cluster.send(cluster.request("PATCH", path)).status == 405)
        }
    }

    @Test func rangesSingleSeveralAndUnsatisfiable() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            try await cluster.putObject(path, "0123456789", at: ts(10))

            let single = try await cluster.send(cluster.request("GET", path, headers: ["Range": "bytes=2-4"]))
            #expect(single.status == 206)
            #expect(single.text == "234")
            #expect(single.headers["Content-Range"] == "bytes 2-4/10")
            #expect(single.headers["Content-Length"] == "3")
            let suffix = try await cluster.send(cluster.request("GET", path, headers: ["Range": "bytes=-3"]))
            #expect(suffix.text == "789")

            let multi = try await cluster.send(cluster.request("GET", path, headers: ["Range": "bytes=0-1,8-"]))
            #expect(multi.status == 206)
            let contentType = try #require(multi.headers["Content-Type"])
            #expect(contentType.hasPrefix("multipart/byteranges;boundary="))
            let boundary = String(contentType.dropFirst("multipart/byteranges;boundary=".count))
            #expect(multi.text == """
                --\(boundary)\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n\
                --\(boundary)\r\nContent-Type: text/plain\r\nContent-Range: bytes 8-9/10\r\n\r\n89\r\n\
                --\(boundary)--
                """)
            #expect(multi.headers["Content-Length"] == String(multi.body.count))

            let unsatisfiable = try await cluster.send(cluster.request("GET", path, headers: ["Range": "bytes=20-30"]))
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.headers["Content-Range"] == "bytes */10")
            let ignored = try await cluster.send(cluster.request("GET", path, headers: ["Range": "pages=1-2"]))
            #expect(ignored.status == 200)
            #expect(ignored.text == "0123456789")
        }
    }

    /// Stores `body` at `path` in a fresh container at `time`; returns the simulated disk
    /// of node 0, where the requests of these tests go.
    private func storeOne(_ body: String, at time: SwiftTimestamp, in cluster: StorageCluster) async throws -> FaultyObjectStore {
        try await cluster.createAccount("AUTH_test")
        try await cluster.createContainer("AUTH_test", "photos")
        try await cluster.putObject(path, body, at: time)
        return cluster.nodes[0].disk
    }

    /// A whole GET opens the object once and describes the body it sends; a ranged GET
    /// that meets a newer version between its look and its read answers 503 (the proxy
    /// tries the next replica) rather than bytes its headers do not describe.
    @Test func aReadDescribesTheVersionItSends() async throws {
        try await withStorageCluster { cluster in
            let disk = try await storeOne("0123456789", at: ts(10), in: cluster)
            let before = disk.reads
            let whole = try await cluster.send(cluster.request("GET", path))
            #expect(whole.text == "0123456789")
            #expect(disk.reads.heads == before.heads)
            #expect(disk.reads.gets == before.gets + 1)
            let notModified = try await cluster.send(cluster.request("GET", path, headers: [
                "If-None-Match": "\"\(ETagHasher.hex(of: Array("0123456789".utf8)))\"",
            ]))
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)

            // An overwrite with a shorter body lands between the ranged GET's look and read.
            disk.beforeNextGet { try await cluster.putObject(self.path, "abc", at: ts(20)) }
            let raced = try await cluster.send(cluster.request("GET", path, headers: ["Range": "bytes=5-9"]))
            #expect(raced.status == 503)
            let after = try await cluster.send(cluster.request("GET", path))
            #expect(after.status == 200)
            #expect(after.text == "abc")
            #expect(after.headers["Content-Length"] == "3")
            #expect(after.headers["X-Timestamp"] == ts(20).normal)

            // A whole GET of an object deleted meanwhile still gets the tombstone's time.
            disk.beforeNextGet {
                _ = try await cluster.send(cluster.request("DELETE", self.path, headers: [BackendHeader.timestamp: ts(30).internal]))
            }
            let deleted = try await cluster.send(cluster.request("GET", path))
            #expect(deleted.status == 404)
            #expect(deleted.headers[BackendHeader.backendTimestamp] == ts(30).internal)
        }
    }

    /// A DELETE looks and writes in one step of the store, and answers as Swift's object
    /// server does from what was current: 204 over older data, 409 under newer data, 404
    /// over a tombstone (even a newer one) or nothing, with the current time either way.
    @Test func aDeleteAnswersFromWhatItFound() async throws {
        try await withStorageCluster { cluster in
            let disk = try await storeOne("data", at: ts(20), in: cluster)
            let before = disk.reads
            func delete(at time: Int64) async throws -> Answer {
                try await cluster.send(cluster.request("DELETE", path, headers: [BackendHeader.timestamp: ts(time).internal]))
            }
            // In order: older than the data, newer, under the tombstone it left, over it. Each
            // answer also says what was there: the data's time, then the tombstones'.
            for (time, status, backend, found) in [(10, 409, 20, 20), (30, 204, 30, 20), (25, 404, 30, 30), (40, 404, 40, 30)]
                as [(Int64, Int, Int64, Int64)] {
                let answer = try await delete(at: time)
                #expect(answer.status == status, "DELETE at \(time)")
                #expect(answer.headers[BackendHeader.backendTimestamp] == ts(backend).internal, "DELETE at \(time)")
                #expect(answer.headers[BackendHeader.foundTimestamp] == ts(found).internal, "DELETE at \(time)")
            }
            #expect(disk.reads.heads == before.heads)
            // Nothing there: a 404 that names no version (the tombstone is written all the same).
            let never = try await cluster.send(cluster.request("DELETE", "AUTH_test/photos/never.jpg",
                                                               headers: [BackendHeader.timestamp: ts(45).internal]))
            #expect(never.status == 404)
            #expect(never.headers[BackendHeader.foundTimestamp] == nil)
            let after = try await cluster.send(cluster.request("DELETE", "AUTH_test/photos/never.jpg",
                                                               headers: [BackendHeader.timestamp: ts(46).internal]))
            #expect(after.headers[BackendHeader.foundTimestamp] == ts(45).internal)

            // The data's own time decides, not a newer POST's (Swift's data_timestamp): a
            // delete newer than the data but older than its .meta deletes it.
            let other = "AUTH_test/photos/dog.jpg"
            try await cluster.putObject(other, "woof", at: ts(50))
            let post = try await cluster.send(cluster.request("POST", other, headers: [
                BackendHeader.timestamp: ts(70).internal, "X-Object-Meta-Mood": "happy",
            ]))
            #expect(post.status == 202)
            let between = try await cluster.send(cluster.request("DELETE", other, headers: [BackendHeader.timestamp: ts(60).internal]))
            #expect(between.status == 204)
            #expect(between.headers[BackendHeader.backendTimestamp] == ts(60).internal)
            #expect(try await cluster.send(cluster.request("GET", other)).status == 404)
        }
    }

    @Test func conditionalReads() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            let etag = ETagHasher.hex(of: Array("data".utf8))
            #expect(try await cluster.putObject(path, "data", at: ts(10)).headers["ETag"] == "\"\(etag)\"")
            func status(_ headers: HeaderFields) async throws -> Int {
                try await cluster.send(cluster.request("GET", path, headers: headers)).status
            }
            #expect(try await status(["If-None-Match": "\"\(etag)\""]) == 304)
            #expect(try await status(["If-None-Match": "\"other\""]) == 200)
            #expect(try await status(["If-Match": "\"\(etag)\""]) == 200)
            #expect(try await status(["If-Match": "\"other\""]) == 412)
            #expect(try await status(["If-Modified-Since": "Tue, 14 Nov 2023 22:13:30 GMT"]) == 304)
            #expect(try await status(["If-Modified-Since": "Tue, 14 Nov 2023 22:13:29 GMT"]) == 200)
            #expect(try await status(["If-Unmodified-Since": "Tue, 14 Nov 2023 22:13:29 GMT"]) == 412)
            let notModified = try await cluster.send(cluster.request("HEAD", path, headers: ["If-None-Match": etag]))
            #expect(notModified.status == 304)
            #expect(notModified.headers["ETag"] == "\"\(etag)\"")
        }
    }

    @Test func expiredObjectsAreGone() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            cluster.clock.set(ts(10))
            try await cluster.putObject(path, "soon gone", at: ts(10), headers: ["X-Delete-At": "1700000100"])
            let live = try await cluster.send(cluster.request("GET", path))
            #expect(live.status == 200)
            #expect(live.headers["X-Delete-At"] == "1700000100")

            let mismatch = try await cluster.send(cluster.request("DELETE", path, headers: [
                BackendHeader.timestamp: ts(50).internal, BackendHeader.ifDeleteAt: "1700000099"]))
            #expect(mismatch.status == 412)

            cluster.clock.set(ts(100))
            let expired = try await cluster.send(cluster.request("GET", path))
            #expect(expired.status == 404)
            #expect(expired.headers[BackendHeader.backendTimestamp] == ts(10).internal)
            #expect(try await cluster.send(cluster.request("HEAD", path)).status == 404)
            let post = try await cluster.send(cluster.request("POST", path, headers: [BackendHeader.timestamp: ts(101).internal]))
            #expect(post.status == 404)

            // The expirer's DELETE matches the stored X-Delete-At: the tombstone is written.
            let expirer = try await cluster.send(cluster.request("DELETE", path, headers: [
                BackendHeader.timestamp: ts(100).internal, BackendHeader.ifDeleteAt: "1700000100"]))
            #expect(expirer.status == 404)
            #expect(try await cluster.nodes[0].objects.head(objectKey(cluster)) == .deleted(ts(100)))
        }
    }

    @Test func postReplacesUserMetadata() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            let missing = try await cluster.send(cluster.request("POST", path, headers: [BackendHeader.timestamp: ts(5).internal]))
            #expect(missing.status == 404)
            try await cluster.putObject(path, "data", at: ts(10), headers: [
                "X-Object-Meta-Old": "1", "X-Object-Sysmeta-Keep": "k", "Content-Encoding": "gzip"])
            let noTimestamp = try await cluster.send(cluster.request("POST", path))
            #expect(noTimestamp.status == 400)
            let post = try await cluster.send(cluster.request("POST", path, headers: [
                BackendHeader.timestamp: ts(20).internal, "X-Object-Meta-New": "2"]))
            #expect(post.status == 202)
            let head = try await cluster.send(cluster.request("HEAD", path))
            #expect(head.headers["X-Object-Meta-New"] == "2")
            #expect(head.headers["X-Object-Meta-Old"] == nil)
            #expect(head.headers["Content-Encoding"] == nil)
            #expect(head.headers["X-Object-Sysmeta-Keep"] == "k")
            #expect(head.headers["Content-Length"] == "4")
            let older = try await cluster.send(cluster.request("POST", path, headers: [BackendHeader.timestamp: ts(15).internal]))
            #expect(older.status == 409)
            #expect(older.headers[BackendHeader.backendTimestamp] == ts(20).internal)
        }
    }

    private func objectKey(_ cluster: StorageCluster) -> ObjectKey {
        ObjectKey(account: "AUTH_test", container: "photos", object: "cat.jpg",
                  hasher: cluster.layout.hasher, partPower: cluster.layout.partPower)!
    }
}
