import Crypto
import Foundation
import ShoalCore

/// OpenStack Swift's temporary URLs: `temp_url_sig` is an HMAC over
/// `METHOD\nEXPIRES\nPATH` (or `prefix:PATH-PREFIX` for prefix-based URLs) with a key the
/// account or container keeps in `X-*-Meta-Temp-URL-Key(-2)`. The signature is hex, or
/// `sha256:`/`sha512:` followed by base64. Pure: the caller supplies the keys and the time.
public struct TempURL: Hashable, Sendable {
    public enum Digest: String, Sendable, CaseIterable {
        case sha256, sha512
    }

    /// The digests Shoal accepts (advertised in `/info`).
    public static let allowedDigests: [Digest] = [.sha256, .sha512]
    /// Methods a temporary URL may be made for (`/info`'s `methods`).
    public static let methods = ["GET", "HEAD", "PUT", "POST", "DELETE"]

    public let signature: [UInt8]
    public let digest: Digest
    public let expires: Int64
    /// The object-name prefix a prefix-based URL is valid for.
    public let prefix: String?
    public let filename: String?
    public let inline: Bool

    /// Parses the `temp_url_*` query parameters; nil when the request carries none, a
    /// ``Failure`` when they are malformed.
    public static func parse(query: [String: String]) -> Result<TempURL, Failure>? {
        guard query["temp_url_sig"] != nil || query["temp_url_expires"] != nil else { return nil }
        guard let sig = query["temp_url_sig"], let expiresText = query["temp_url_expires"] else { return .failure(.invalid) }
        guard let expires = parseExpires(expiresText) else { return .failure(.invalid) }
        let (digest, bytes): (Digest, [UInt8])
        if let colon = sig.firstIndex(of: ":") {
            guard let named = Digest(rawValue: String(sig[..<colon])),
                  let decoded = Base64URL.decode(String(sig[sig.index(after: colon)...])
                      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                      .replacingOccurrences(of: "=", with: ""))
            else { return .failure(.invalid) }
            (digest, bytes) = (named, decoded)
        } else {
            guard let decoded = Hex.decode(sig) else { return .failure(.invalid) }
            switch decoded.count {
            case 32: (digest, bytes) = (.sha256, decoded)
            case 64: (digest, bytes) = (.sha512, decoded)
            default: return .failure(.invalid)
            }
        }
        return .success(TempURL(signature: bytes, digest: digest, expires: expires, prefix: query["temp_url_prefix"],
                                filename: query["filename"], inline: query["inline"] != nil))
    }

    public enum Failure: Error, Hashable, Sendable {
        case invalid
        case expired
    }

    /// Whether one of `keys` signed this URL for `method` on `path` (`/v1/a/c/o`) at `now`.
    /// A HEAD is allowed by a signature for GET, HEAD or PUT, as in Swift.
    public func verify(method: String, path: String, keys: [String], now: Int64) -> Result<Void, Failure> {
        guard expires > now else { return .failure(.expired) }
        var subjects: [String]
        if let prefix {
            let pieces = path.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: false)
            guard pieces.count == 5 else { return .failure(.invalid) }
            let objectName = String(pieces[4])
            guard objectName.hasPrefix(prefix) else { return .failure(.invalid) }
            subjects = ["prefix:/" + pieces[1...3].joined(separator: "/") + "/" + prefix]
        } else {
            subjects = [path]
        }
        let methods = method == "HEAD" ? ["HEAD", "GET", "PUT"] : [method]
        for key in keys where !key.isEmpty {
            for subject in subjects {
                for signedMethod in methods {
                    let expected = Self.sign(method: signedMethod, expires: expires, path: subject, key: key, digest: digest)
                    if Self.constantTimeEqual(expected, signature) { return .success(()) }
                }
            }
        }
        return .failure(.invalid)
    }

    /// The raw HMAC a client computes (`path` may be `prefix:/v1/a/c/p`).
    public static func sign(method: String, expires: Int64, path: String, key: String, digest: Digest) -> [UInt8] {
        let message = Data("\(method)\n\(expires)\n\(path)".utf8)
        let symmetric = SymmetricKey(data: Data(key.utf8))
        switch digest {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetric))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: symmetric))
        }
    }

    /// Unix seconds, or ISO 8601 `YYYY-MM-DDThh:mm:ssZ` as Swift also accepts.
    static func parseExpires(_ text: String) -> Int64? {
        if let seconds = Int64(text), seconds >= 0 { return seconds }
        let parts = text.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int64($0) }
        guard text.hasSuffix("Z"), parts.count == 6 else { return nil }
        let days = HTTPDateParser.daysFromCivil(year: parts[0], month: parts[1], day: parts[2])
        return days * 86_400 + parts[3] * 3_600 + parts[4] * 60 + parts[5]
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
