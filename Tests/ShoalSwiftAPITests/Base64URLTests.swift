import Foundation
import Testing
import ShoalCore
import ShoalSwiftAPI

struct Base64URLTests {
    /// Foundation's Base64 turned into the URL alphabet without padding: the reference.
    static func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func encodesAsTheReferenceAndDecodesBackForEveryLength() {
        var random = SeededRandom(seed: 64)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let text = Base64URL.encode(bytes)
            #expect(text == Self.reference(bytes), "length \(length)")
            #expect(Base64URL.decode(text) == bytes, "length \(length)")
            #expect(Base64URL.decode(Substring("x" + text).dropFirst()) == bytes, "a substring decodes too")
        }
        #expect(Base64URL.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test func refusesWhatNoEncodingProduces() {
        #expect(Base64URL.decode("YW55IGNhcm5hbCBwbGVhcw==") == nil, "padding")
        #expect(Base64URL.decode("YW55+GNh") == nil && Base64URL.decode("YW55/GNh") == nil, "the standard alphabet")
        #expect(Base64URL.decode("YW5 IGNh") == nil && Base64URL.decode("YW5éIGNh") == nil)
        #expect(Base64URL.decode("YW55I") == nil, "4n + 1 characters")
        #expect(Base64URL.decode("YR") == nil && Base64URL.decode("YWF") == nil, "unused bits set")
        #expect(Base64URL.decode("") == [])
    }
}
