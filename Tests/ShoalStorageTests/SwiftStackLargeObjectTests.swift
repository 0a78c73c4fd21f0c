import Foundation
import Testing
import ShoalCore
import ShoalSwiftAPI
@testable import ShoalStorage

/// Static and dynamic large objects through the whole stack.
@Suite struct SwiftStackLargeObjectTests {
    static let one = "aaaaa", two = "bbbbbbb", three = "ccc"
    static func md5(_ text: String) -> String { ETagHasher.hex(of: Array(text.utf8)) }

    /// Stores the three segments in `segs` and answers the manifest body naming them.
    func storeSegments(_ stack: SwiftStack) async -> String {
        await stack.createContainer("segs")
        await stack.createContainer("c")
        for (name, text) in [("1", Self.one), ("2", Self.two), ("3", Self.three)] {
            await stack.putObject("segs/\(name)", text)
        }
        return """
        [{"path": "/segs/1", "etag": "\(Self.md5(Self.one))", "size_bytes": 5},
         {"path": "segs/2", "etag": "\(Self.md5(Self.two))"},
         {"path": "/segs/3", "size_bytes": 3}]
        """
    }

    var sloETag: String {
        var hasher = ETagHasher()
        for text in [Self.one, Self.two, Self.three] { hasher.update(Self.md5(text)) }
        return hasher.finalize()
    }

    @Test func manifestPutAnswersQuotedETagAndReadsAsConcatenation() async throws {
        try await withSwiftStack { stack in
            let manifest = await storeSegments(stack)
            let token = await stack.adminToken()
            let put = await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put",
                                       headers: ["Content-Type": "text/plain"], text: manifest, token: token)
            #expect(put.status == 201, "\(put)")
            #expect(put.headers["ETag"] == "\"\(sloETag)\"")

            let whole = Self.one + Self.two + Self.three
            let get = await stack.send("GET", "/v1/AUTH_admin/c/big", token: token)
            #expect(get.status == 200)
            #expect(get.text == whole)
            #expect(get.headers["ETag"] == "\"\(sloETag)\"")
            #expect(get.headers["Content-Length"] == String(whole.count))
            #expect(get.headers["Content-Type"] == "text/plain")

            let head = await stack.send("HEAD", "/v1/AUTH_admin/c/big", token: token)
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == String(whole.count))
            #expect(head.headers["ETag"] == "\"\(sloETag)\"")
            #expect(head.body.isEmpty)

            // Bytes 3-7 run from the end of segment 1 into segment 2.
            let ranged = await stack.send("GET", "/v1/AUTH_admin/c/big", headers: ["Range": "bytes=3-7"], token: token)
            #expect(ranged.status == 206)
            #expect(ranged.text == "aabbb")
            #expect(ranged.headers["Content-Range"] == "bytes 3-7/\(whole.count)")
            let tail = await stack.send("GET", "/v1/AUTH_admin/c/big", headers: ["Range": "bytes=-4"], token: token)
            #expect(tail.status == 206)
            #expect(tail.text == "bccc")
            let beyond = await stack.send("GET", "/v1/AUTH_admin/c/big", headers: ["Range": "bytes=100-200"], token: token)
            #expect(beyond.status == 416)

            let notModified = await stack.send("GET", "/v1/AUTH_admin/c/big", headers: ["If-None-Match": "\"\(sloETag)\""], token: token)
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            let failed = await stack.send("GET", "/v1/AUTH_admin/c/big", headers: ["If-Match": "\"\(Self.md5("x"))\""], token: token)
            #expect(failed.status == 412)
            let matched = await stack.send("GET", "/v1/AUTH_admin/c/big", headers: ["If-Match": "\"\(sloETag)\""], token: token)
            #expect(matched.status == 200)
            #expect(matched.text == whole)
        }
    }

    @Test func manifestGetAnswersTheManifestAsJSON() async throws {
        try await withSwiftStack { stack in
            let manifest = await storeSegments(stack)
            let token = await stack.adminToken()
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put", text: manifest, token: token).status == 201)
            let raw = await stack.send("GET", "/v1/AUTH_admin/c/big", query: ["multipart-manifest": "get"], token: token)
            #expect(raw.status == 200)
            #expect(raw.headers["Content-Type"]?.hasPrefix("application/json") == true)
            let entries = try #require(raw.json as? [[String: Any]])
            #expect(entries.map { $0["name"] as? String } == ["/segs/1", "/segs/2", "/segs/3"])
            #expect(entries.map { $0["bytes"] as? Int } == [5, 7, 3])
            #expect(entries.map { $0["hash"] as? String } == [Self.one, Self.two, Self.three].map(Self.md5))
        }
    }

    @Test func badManifestsAre400WithErrors() async throws {
        try await withSwiftStack { stack in
            _ = await storeSegments(stack)
            let token = await stack.adminToken()
            let missing = await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put",
                                           text: #"[{"path": "/segs/1"}, {"path": "/segs/nope"}]"#, token: token)
            #expect(missing.status == 400)
            #expect(missing.text.contains("Errors:"))
            #expect(missing.text.contains("/segs/nope"))
            let wrongETag = await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put",
                                             text: #"[{"path": "/segs/1", "etag": "0123456789abcdef0123456789abcdef"}]"#, token: token)
            #expect(wrongETag.status == 400)
            #expect(wrongETag.text.contains("Etag Mismatch"))
            let wrongSize = await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put",
                                             text: #"[{"path": "/segs/1", "size_bytes": 6}]"#, token: token)
            #expect(wrongSize.status == 400)
            #expect(wrongSize.text.contains("Size Mismatch"))
            let notJSON = await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put", text: "nope", token: token)
            #expect(notJSON.status == 400)
            let empty = await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put", text: "[]", token: token)
            #expect(empty.status == 400)
            // None of them stored a manifest.
            #expect(await stack.get("c/big").status == 404)
            #expect(await stack.listing("c") == [])
        }
    }

    @Test func manifestDeleteRemovesSegmentsAndManifest() async throws {
        try await withSwiftStack { stack in
            let manifest = await storeSegments(stack)
            let token = await stack.adminToken()
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put", text: manifest, token: token).status == 201)
            let deleted = await stack.send("DELETE", "/v1/AUTH_admin/c/big?multipart-manifest=delete",
                                           headers: ["Accept": "application/json"], token: token)
            #expect(deleted.status == 200)
            let result = try #require(deleted.json as? [String: Any])
            #expect(result["Number Deleted"] as? Int == 4)
            #expect(result["Number Not Found"] as? Int == 0)
            #expect(result["Response Status"] as? String == "200 OK")
            #expect(await stack.get("c/big").status == 404)
            #expect(await stack.listing("segs") == [])
            #expect(await stack.listing("c") == [])
        }
    }

    @Test func plainDeleteOfAManifestKeepsTheSegments() async throws {
        try await withSwiftStack { stack in
            let manifest = await storeSegments(stack)
            let token = await stack.adminToken()
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/big?multipart-manifest=put", text: manifest, token: token).status == 201)
            #expect(await stack.send("DELETE", "/v1/AUTH_admin/c/big", token: token).status == 204)
            #expect(await stack.listing("segs") == ["1", "2", "3"])
        }
    }

    // MARK: DLO

    @Test func dynamicManifestConcatenatesInNameOrder() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("segs")
            await stack.createContainer("c")
            // Stored out of order; listed (and read) in name order.
            await stack.putObject("segs/part/002", "bbb")
            await stack.putObject("segs/part/001", "aaaa")
            await stack.putObject("segs/part/003", "cc")
            await stack.putObject("segs/other", "zzzz")
            let token = await stack.adminToken()
            let put = await stack.send("PUT", "/v1/AUTH_admin/c/dlo", headers: ["X-Object-Manifest": "segs/part/"], body: [], token: token)
            #expect(put.status == 201)

            let get = await stack.send("GET", "/v1/AUTH_admin/c/dlo", token: token)
            #expect(get.status == 200)
            #expect(get.text == "aaaabbbcc")
            var hasher = ETagHasher()
            for text in ["aaaa", "bbb", "cc"] { hasher.update(Self.md5(text)) }
            #expect(get.headers["ETag"] == "\"\(hasher.finalize())\"")

            let head = await stack.send("HEAD", "/v1/AUTH_admin/c/dlo", token: token)
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == "9")
            #expect(head.headers["X-Object-Manifest"] == "segs/part/")

            let ranged = await stack.send("GET", "/v1/AUTH_admin/c/dlo", headers: ["Range": "bytes=2-5"], token: token)
            #expect(ranged.status == 206)
            #expect(ranged.text == "aabb")
            #expect(ranged.headers["Content-Range"] == "bytes 2-5/9")

            // A new segment shows up at once.
            await stack.putObject("segs/part/004", "d")
            #expect(await stack.send("GET", "/v1/AUTH_admin/c/dlo", token: token).text == "aaaabbbccd")
        }
    }

    @Test func dynamicManifestWithNoSegmentsIsEmpty() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            let token = await stack.adminToken()
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/dlo", headers: ["X-Object-Manifest": "c/none-"], body: [], token: token).status == 201)
            let get = await stack.send("GET", "/v1/AUTH_admin/c/dlo", token: token)
            #expect(get.status == 200)
            #expect(get.body.isEmpty)
            #expect(get.headers["Content-Length"] == "0")
        }
    }

    /// The DLO ETag is the MD5 of every listed segment's ETag in listing order, empty ones included.
    @Test func dynamicManifestETagFollowsListingOrderWithEmptySegments() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("segs")
            await stack.createContainer("c")
            await stack.putObject("segs/p/1", "aa")
            await stack.putObject("segs/p/2", "")
            await stack.putObject("segs/p/3", "b")
            let token = await stack.adminToken()
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/dlo", headers: ["X-Object-Manifest": "segs/p/"], body: [], token: token).status == 201)
            let get = await stack.send("GET", "/v1/AUTH_admin/c/dlo", token: token)
            #expect(get.text == "aab")
            var hasher = ETagHasher()
            for text in ["aa", "", "b"] { hasher.update(Self.md5(text)) }
            #expect(get.headers["ETag"] == "\"\(hasher.finalize())\"")
        }
    }
}
