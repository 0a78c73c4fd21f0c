import Foundation
import Testing
import ShoalCore
@testable import ShoalStorage

/// Versioned writes (the container-header flavour) through the whole stack.
@Suite struct SwiftStackVersioningTests {
    /// The archive listing as (name, content type), in name order.
    func archive(_ stack: SwiftStack, _ container: String = "archive") async -> [(name: String, type: String)] {
        let reply = await stack.get(container, query: ["format": "json"])
        let entries = (reply.json as? [[String: Any]]) ?? []
        return entries.map { ($0["name"] as? String ?? "", $0["content_type"] as? String ?? "") }
    }

    @Test func stackModeArchivesOverwritesAndDeleteRestores() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createContainer("archive") == 201)
            #expect(await stack.createContainer("docs", headers: ["X-Versions-Location": "archive"]) == 201)
            #expect(await stack.putObject("docs/note", "v1", headers: ["Content-Type": "text/plain"]).status == 201)
            #expect(await archive(stack).isEmpty)
            #expect(await stack.putObject("docs/note", "v2").status == 201)
            #expect(await stack.putObject("docs/note", "v3").status == 201)
            #expect(await stack.get("docs/note").text == "v3")
            let archived = await archive(stack)
            #expect(archived.count == 2)
            #expect(archived.allSatisfy { $0.name.hasPrefix("004note/") })
            let token = await stack.adminToken()
            // Oldest first: v1 then v2.
            if archived.count == 2 {
                #expect(await stack.get("archive/\(archived[0].name)").text == "v1")
                #expect(await stack.get("archive/\(archived[1].name)").text == "v2")
            }

            #expect(await stack.send("DELETE", "/v1/AUTH_admin/docs/note", token: token).status == 204)
            #expect(await stack.get("docs/note").text == "v2")
            #expect(await archive(stack).count == 1)
            #expect(await stack.send("DELETE", "/v1/AUTH_admin/docs/note", token: token).status == 204)
            let restored = await stack.get("docs/note")
            #expect(restored.text == "v1")
            #expect(restored.headers["Content-Type"] == "text/plain")
            #expect(await archive(stack).isEmpty)
            // With nothing archived, DELETE deletes.
            #expect(await stack.send("DELETE", "/v1/AUTH_admin/docs/note", token: token).status == 204)
            #expect(await stack.get("docs/note").status == 404)
            #expect(await stack.listing("docs") == [])
        }
    }

    @Test func historyModeLeavesADeleteMarker() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("archive")
            #expect(await stack.createContainer("docs", headers: ["X-History-Location": "archive"]) == 201)
            await stack.putObject("docs/note", "v1")
            await stack.putObject("docs/note", "v2")
            #expect(await archive(stack).count == 1)
            let token = await stack.adminToken()
            #expect(await stack.send("DELETE", "/v1/AUTH_admin/docs/note", token: token).status == 204)
            #expect(await stack.get("docs/note").status == 404)
            let archived = await archive(stack)
            #expect(archived.count == 3)
            #expect(archived.last?.type == "application/x-deleted;swift_versions_deleted=1")
            if archived.count == 3 {
                #expect(await stack.get("archive/\(archived[0].name)").text == "v1")
                #expect(await stack.get("archive/\(archived[1].name)").text == "v2")
            }
        }
    }

    @Test func bothLocationsAtOnceAre400() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("archive")
            let both: HeaderFields = ["X-Versions-Location": "archive", "X-History-Location": "archive"]
            #expect(await stack.createContainer("docs", headers: both) == 400)
            #expect(await stack.get("docs").status == 404)
            await stack.createContainer("docs")
            let token = await stack.adminToken()
            #expect(await stack.send("POST", "/v1/AUTH_admin/docs", headers: both, token: token).status == 400)
        }
    }

    @Test func missingArchiveContainerRefusesTheOverwrite() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("docs", headers: ["X-Versions-Location": "absent"])
            #expect(await stack.putObject("docs/note", "v1").status == 201)
            let overwrite = await stack.putObject("docs/note", "v2")
            #expect(overwrite.status == 412)
            #expect(await stack.get("docs/note").text == "v1")
        }
    }
}
