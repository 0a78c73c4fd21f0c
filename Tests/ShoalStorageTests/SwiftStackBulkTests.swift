import Foundation
import Testing
import ShoalCore
@testable import ShoalStorage

/// Bulk delete and archive extraction through the whole stack.
@Suite struct SwiftStackBulkTests {
    func fill(_ stack: SwiftStack) async {
        await stack.createContainer("c")
        await stack.createContainer("full")
        await stack.createContainer("empty")
        await stack.putObject("c/one", "1")
        await stack.putObject("c/two words", "2")
        await stack.putObject("full/keep", "k")
    }

    @Test func bulkDeleteCountsAsJSON() async throws {
        try await withSwiftStack { stack in
            await fill(stack)
            let body = "/c/one\n/c/two%20words\n/c/missing\n/full\n/empty\n"
            let reply = await stack.send("POST", "/v1/AUTH_admin?bulk-delete",
                                         headers: ["Accept": "application/json", "Content-Type": "text/plain"],
                                         text: body, token: await stack.adminToken())
            #expect(reply.status == 200)
            #expect(reply.headers["Content-Type"]?.hasPrefix("application/json") == true)
            let result = try #require(reply.json as? [String: Any])
            #expect(result["Number Deleted"] as? Int == 3)
            #expect(result["Number Not Found"] as? Int == 1)
            let errors = result["Errors"] as? [[String]]
            #expect(errors == [["/full", "409 Conflict"]])
            #expect(result["Response Status"] as? String != "200 OK")
            #expect(await stack.listing("c") == [])
            #expect(await stack.get("empty").status == 404)
            #expect(await stack.listing("full") == ["keep"])
        }
    }

    @Test func bulkDeleteAnswersPlainTextByDefault() async throws {
        try await withSwiftStack { stack in
            await fill(stack)
            let reply = await stack.send("DELETE", "/v1/AUTH_admin?bulk-delete", text: "c/one\nc/missing\n",
                                         token: await stack.adminToken())
            #expect(reply.status == 200)
            #expect(reply.headers["Content-Type"]?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains("Number Deleted: 1\n"))
            #expect(reply.text.contains("Number Not Found: 1\n"))
            #expect(reply.text.contains("Response Status: 200 OK\n"))
            #expect(await stack.listing("c") == ["two words"])
        }
    }

    @Test func bulkDeleteNeedsAuthorization() async throws {
        try await withSwiftStack { stack in
            await fill(stack)
            let anonymous = await stack.send("POST", "/v1/AUTH_admin?bulk-delete", headers: ["Accept": "application/json"], text: "/c/one\n")
            let result = anonymous.json as? [String: Any]
            #expect(anonymous.status == 401 || (result?["Number Deleted"] as? Int) == 0)
            #expect(await stack.listing("c") == ["one", "two words"])
        }
    }

    static func archive() -> [UInt8] {
        var tar = TarBuilder()
        tar.add("photos/cat.jpg", Array("meow".utf8))
        tar.add("photos/dogs/rex.jpg", Array("woof".utf8))
        tar.add("notes/todo.txt", Array(String(repeating: "x", count: 700).utf8))
        return tar.archive
    }

    @Test func extractArchiveIntoTheAccount() async throws {
        try await withSwiftStack { stack in
            let reply = await stack.send("PUT", "/v1/AUTH_admin?extract-archive=tar", headers: ["Accept": "application/json"],
                                         body: Self.archive(), token: await stack.adminToken())
            #expect(reply.status == 200)
            let result = try #require(reply.json as? [String: Any])
            #expect(result["Number Files Created"] as? Int == 3)
            #expect(result["Response Status"] as? String == "201 Created")
            #expect((result["Errors"] as? [Any])?.isEmpty == true)
            #expect(await stack.listing("photos") == ["cat.jpg", "dogs/rex.jpg"])
            #expect(await stack.listing("notes") == ["todo.txt"])
            #expect(await stack.get("photos/dogs/rex.jpg").text == "woof")
            #expect(await stack.get("notes/todo.txt").body.count == 700)
        }
    }

    @Test func extractArchiveIntoAContainerPrefix() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("uploads")
            let reply = await stack.send("PUT", "/v1/AUTH_admin/uploads/2026/?extract-archive=tar",
                                         body: Self.archive(), token: await stack.adminToken())
            #expect(reply.status == 200)
            #expect(reply.text.contains("Number Files Created: 3"))
            #expect(await stack.listing("uploads") == ["2026/notes/todo.txt", "2026/photos/cat.jpg", "2026/photos/dogs/rex.jpg"])
            #expect(await stack.get("uploads/2026/photos/cat.jpg").text == "meow")
        }
    }

    @Test func extractArchiveRejectsGarbageAndUnknownFormats() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("uploads")
            let token = await stack.adminToken()
            let format = await stack.send("PUT", "/v1/AUTH_admin/uploads?extract-archive=zip", headers: ["Accept": "application/json"],
                                          body: Self.archive(), token: token)
            #expect(format.status == 400 && format.text == "Unsupported archive format")
            let garbage = await stack.send("PUT", "/v1/AUTH_admin/uploads?extract-archive=tar", headers: ["Accept": "application/json"],
                                           body: Array(repeating: 0x41, count: 1_000), token: token)
            #expect((garbage.json as? [String: Any])?["Response Status"] as? String == "400 Bad Request")
            #expect(await stack.listing("uploads") == [])
        }
    }
}
