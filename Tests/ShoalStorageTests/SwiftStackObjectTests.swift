import Foundation
import Testing
import ShoalCore
import ShoalSwiftAPI
@testable import ShoalStorage

/// Plain objects through the whole Swift stack.
@Suite struct SwiftStackObjectTests {
    let payload = "the quick brown fox jumps over the lazy dog"

    @Test func putGetHeadPostDeleteThroughTheStack() async throws {
        try await withSwiftStack { stack in
            let token = await stack.adminToken()
            #expect(await stack.createContainer("photos") == 201)
            let put = await stack.send("PUT", "/v1/AUTH_admin/photos/a/cat.txt",
                                       headers: ["Content-Type": "text/plain", "X-Object-Meta-Color": "grey"],
                                       text: payload, token: token)
            #expect(put.status == 201)
            let md5 = ETagHasher.hex(of: Array(payload.utf8))
            #expect(put.headers["ETag"] == md5)

            let get = await stack.send("GET", "/v1/AUTH_admin/photos/a/cat.txt", token: token)
            #expect(get.status == 200)
            #expect(get.text == payload)
            #expect(get.headers["ETag"] == md5, "a plain object's ETag is bare")
            #expect(get.headers["Content-Length"] == String(payload.utf8.count))
            #expect(get.headers["X-Object-Meta-Color"] == "grey")

            let head = await stack.send("HEAD", "/v1/AUTH_admin/photos/a/cat.txt", token: token)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["ETag"] == md5)
            #expect(head.headers["Content-Length"] == String(payload.utf8.count))

            #expect(await stack.listing("photos") == ["a/cat.txt"])

            let post = await stack.send("POST", "/v1/AUTH_admin/photos/a/cat.txt", headers: ["X-Object-Meta-Color": "black"], token: token)
            #expect(post.status == 202)
            let after = await stack.send("HEAD", "/v1/AUTH_admin/photos/a/cat.txt", token: token)
            #expect(after.headers["X-Object-Meta-Color"] == "black")

            #expect(await stack.send("DELETE", "/v1/AUTH_admin/photos/a/cat.txt", token: token).status == 204)
            #expect(await stack.send("GET", "/v1/AUTH_admin/photos/a/cat.txt", token: token).status == 404)
            #expect(await stack.send("HEAD", "/v1/AUTH_admin/photos/a/cat.txt", token: token).status == 404)
            #expect(await stack.send("DELETE", "/v1/AUTH_admin/photos/a/cat.txt", token: token).status == 404)
            #expect(await stack.listing("photos") == [])
        }
    }

    @Test func conditionalGets() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            #expect(await stack.putObject("c/o", payload).status == 201)
            let md5 = ETagHasher.hex(of: Array(payload.utf8))
            let notModified = await stack.get("c/o", headers: ["If-None-Match": "\"\(md5)\""])
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            #expect(await stack.get("c/o", headers: ["If-None-Match": "\"other\""]).status == 200)
            let mismatch = await stack.get("c/o", headers: ["If-Match": "\"0123456789abcdef0123456789abcdef\""])
            #expect(mismatch.status == 412)
            let match = await stack.get("c/o", headers: ["If-Match": md5])
            #expect(match.status == 200)
            #expect(match.text == payload)
        }
    }

    @Test func ranges() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            await stack.putObject("c/o", payload)
            let length = payload.utf8.count
            let first = await stack.get("c/o", headers: ["Range": "bytes=4-8"])
            #expect(first.status == 206)
            #expect(first.text == "quick")
            #expect(first.headers["Content-Range"] == "bytes 4-8/\(length)")
            #expect(first.headers["Content-Length"] == "5")
            let suffix = await stack.get("c/o", headers: ["Range": "bytes=-3"])
            #expect(suffix.status == 206)
            #expect(suffix.text == "dog")
            #expect(suffix.headers["Content-Range"] == "bytes \(length - 3)-\(length - 1)/\(length)")
            let unsatisfiable = await stack.get("c/o", headers: ["Range": "bytes=\(length + 10)-\(length + 20)"])
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.headers["Content-Range"] == "bytes */\(length)")
        }
    }

    @Test func missingContainerAndObject() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.putObject("nowhere/o", payload).status == 404)
            await stack.createContainer("c")
            #expect(await stack.get("c/absent").status == 404)
            #expect(await stack.get("c/absent", headers: ["Range": "bytes=0-1"]).status == 404)
        }
    }
}
