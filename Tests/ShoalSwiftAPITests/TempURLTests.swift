import Foundation
import Testing
import ShoalCore
@testable import ShoalSwiftAPI

struct TempURLTests {
    let path = "/v1/AUTH_test/photos/cat.jpg"

    func query(method: String = "GET", expires: Int64 = 2_000, key: String = "secret", digest: TempURL.Digest = .sha256,
               path: String? = nil) -> [String: String] {
        let sig = TempURL.sign(method: method, expires: expires, path: path ?? self.path, key: key, digest: digest)
        return ["temp_url_sig": Hex.encode(sig), "temp_url_expires": String(expires)]
    }

    func verify(_ query: [String: String], method: String = "GET", path: String? = nil, keys: [String] = ["secret"],
                now: Int64 = 1_000) -> Bool {
        guard case .success(let url)? = TempURL.parse(query: query),
              case .success = url.verify(method: method, path: path ?? self.path, keys: keys, now: now) else { return false }
        return true
    }

    @Test func signedURLsVerifyWithEitherKeyAndDigest() {
        #expect(verify(query()))
        #expect(verify(query(digest: .sha512)))
        #expect(verify(query(key: "second"), keys: ["first", "second"]))
        #expect(!verify(query(key: "other")))
        #expect(!verify(query(), path: "/v1/AUTH_test/photos/dog.jpg"))
        #expect(!verify(query(), method: "PUT"))
    }

    @Test func headIsAllowedByGetOrPutSignatures() {
        #expect(verify(query(method: "GET"), method: "HEAD"))
        #expect(verify(query(method: "PUT"), method: "HEAD"))
        #expect(!verify(query(method: "DELETE"), method: "HEAD"))
    }

    @Test func expiredAndMalformedURLsFail() {
        guard case .success(let url)? = TempURL.parse(query: query(expires: 999)) else { Issue.record("no parse"); return }
        guard case .failure(let failure) = url.verify(method: "GET", path: path, keys: ["secret"], now: 1_000) else {
            Issue.record("an expired URL verified"); return
        }
        #expect(failure == .expired)
        #expect(TempURL.parse(query: ["temp_url_sig": "zz", "temp_url_expires": "5"]) == .failure(.invalid))
        #expect(TempURL.parse(query: ["temp_url_sig": "abcd"]) == .failure(.invalid))
        #expect(TempURL.parse(query: ["format": "json"]) == nil)
    }

    @Test func base64SignaturesAndISOExpiryAreAccepted() {
        let sig = TempURL.sign(method: "GET", expires: 1_700_000_000, path: path, key: "secret", digest: .sha512)
        let base64 = Data(sig).base64EncodedString()
        #expect(verify(["temp_url_sig": "sha512:" + base64, "temp_url_expires": "2023-11-14T22:13:20Z"], now: 1_699_999_000))
    }

    @Test func prefixURLsCoverObjectsUnderThePrefix() {
        var q = query(path: "prefix:/v1/AUTH_test/photos/2024/")
        q["temp_url_prefix"] = "2024/"
        #expect(verify(q, path: "/v1/AUTH_test/photos/2024/a/b.jpg"))
        #expect(!verify(q, path: "/v1/AUTH_test/photos/2025/a.jpg"))
    }
}
