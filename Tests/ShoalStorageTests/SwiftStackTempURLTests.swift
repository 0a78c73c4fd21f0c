import Foundation
import Testing
import ShoalCore
import ShoalSwiftAPI
@testable import ShoalStorage

/// TempURL above TempAuth: signed requests admitted with no token.
@Suite struct SwiftStackTempURLTests {
    /// Far enough ahead of any real clock, and long past.
    static let future: Int64 = 4_000_000_000
    static let past: Int64 = 1_000

    static func query(method: String, path: String, key: String, expires: Int64 = future,
                      prefix: String? = nil, extra: [String: String] = [:]) -> [String: String] {
        let subject = prefix.map { "prefix:" + path + "/" + $0 } ?? path
        let signature = Hex.encode(TempURL.sign(method: method, expires: expires, path: subject, key: key, digest: .sha256))
        var query = ["temp_url_sig": String(signature), "temp_url_expires": String(expires)]
        if let prefix { query["temp_url_prefix"] = prefix }
        return query.merging(extra) { $1 }
    }

    func setUp(_ stack: SwiftStack) async {
        let token = await stack.adminToken()
        #expect(await stack.send("POST", "/v1/AUTH_admin", headers: ["X-Account-Meta-Temp-URL-Key": "account-key"], token: token).status == 204)
        await stack.createContainer("c")
        await stack.putObject("c/report.pdf", "%PDF-1.4 pretend")
        await stack.putObject("c/pub/one", "first")
        await stack.putObject("c/pub/two", "second")
        await stack.putObject("c/private", "nope")
    }

    @Test func signedGetIsAdmittedWithoutTokenAndGetsContentDisposition() async throws {
        try await withSwiftStack { stack in
            await setUp(stack)
            let path = "/v1/AUTH_admin/c/report.pdf"
            let get = await stack.send("GET", path, query: Self.query(method: "GET", path: path, key: "account-key"))
            #expect(get.status == 200)
            #expect(get.text == "%PDF-1.4 pretend")
            #expect(get.headers["Content-Disposition"] == "attachment; filename=\"report.pdf\"")
            let named = await stack.send("GET", path, query: Self.query(method: "GET", path: path, key: "account-key",
                                                                         extra: ["filename": "q3.pdf"]))
            #expect(named.headers["Content-Disposition"] == "attachment; filename=\"q3.pdf\"")
            let inline = await stack.send("GET", path, query: Self.query(method: "GET", path: path, key: "account-key",
                                                                          extra: ["inline": ""]))
            #expect(inline.headers["Content-Disposition"] == "inline")
            // A GET signature also admits HEAD.
            let head = await stack.send("HEAD", path, query: Self.query(method: "GET", path: path, key: "account-key"))
            #expect(head.status == 200)
            // The same request without a signature needs a token.
            #expect(await stack.send("GET", path).status == 401)
        }
    }

    @Test func expiredWrongMethodWrongKeyOrOtherPathAre401() async throws {
        try await withSwiftStack { stack in
            await setUp(stack)
            let path = "/v1/AUTH_admin/c/report.pdf"
            let expired = await stack.send("GET", path, query: Self.query(method: "GET", path: path, key: "account-key", expires: Self.past))
            #expect(expired.status == 401)
            #expect(expired.headers["WWW-Authenticate"]?.contains("tempurl") == true)
            let wrongMethod = await stack.send("PUT", path, text: "overwrite", query: Self.query(method: "GET", path: path, key: "account-key"))
            #expect(wrongMethod.status == 401)
            let delete = await stack.send("DELETE", path, query: Self.query(method: "GET", path: path, key: "account-key"))
            #expect(delete.status == 401)
            let wrongKey = await stack.send("GET", path, query: Self.query(method: "GET", path: path, key: "guess"))
            #expect(wrongKey.status == 401)
            let otherPath = await stack.send("GET", "/v1/AUTH_admin/c/private", query: Self.query(method: "GET", path: path, key: "account-key"))
            #expect(otherPath.status == 401)
            var tampered = Self.query(method: "GET", path: path, key: "account-key")
            tampered["temp_url_expires"] = String(Self.future + 1)
            #expect(await stack.send("GET", path, query: tampered).status == 401)
            // The object was not overwritten nor deleted.
            #expect(await stack.get("c/report.pdf").text == "%PDF-1.4 pretend")
        }
    }

    @Test func containerKeyAndSignedPut() async throws {
        try await withSwiftStack { stack in
            await setUp(stack)
            let token = await stack.adminToken()
            #expect(await stack.send("POST", "/v1/AUTH_admin/c", headers: ["X-Container-Meta-Temp-URL-Key-2": "container-key"], token: token).status == 204)
            let path = "/v1/AUTH_admin/c/report.pdf"
            #expect(await stack.send("GET", path, query: Self.query(method: "GET", path: path, key: "container-key")).status == 200)
            let upload = "/v1/AUTH_admin/c/upload"
            let put = await stack.send("PUT", upload, text: "uploaded", query: Self.query(method: "PUT", path: upload, key: "container-key"))
            #expect(put.status == 201)
            #expect(await stack.get("c/upload").text == "uploaded")
            // The container key does not reach another container.
            await stack.createContainer("d")
            await stack.putObject("d/x", "x")
            #expect(await stack.send("GET", "/v1/AUTH_admin/d/x",
                                     query: Self.query(method: "GET", path: "/v1/AUTH_admin/d/x", key: "container-key")).status == 401)
        }
    }

    @Test func prefixURLAdmitsOnlyObjectsUnderThePrefix() async throws {
        try await withSwiftStack { stack in
            await setUp(stack)
            let query = Self.query(method: "GET", path: "/v1/AUTH_admin/c", key: "account-key", prefix: "pub/")
            let one = await stack.send("GET", "/v1/AUTH_admin/c/pub/one", query: query)
            #expect(one.status == 200)
            #expect(one.text == "first")
            #expect(await stack.send("GET", "/v1/AUTH_admin/c/pub/two", query: query).text == "second")
            #expect(await stack.send("GET", "/v1/AUTH_admin/c/private", query: query).status == 401)
            #expect(await stack.send("GET", "/v1/AUTH_admin/c", query: query).status == 401)
        }
    }
}
