import Foundation
import Testing
import ShoalCore

@Suite("JSON values")
struct JSONValueTests {
    let document: JSONValue = [
        "token": ["methods": ["password"], "expires_at": "2026-01-02T03:04:05.000000Z", "is_domain": false, "count": 42,
                  "ratio": .number(0.5), "nothing": .null, "url": "http://h:8080/v1/AUTH_x", "quote": "say \"hi\" \\ back",
                  "unicode": "zoë — 雪", "empty": [:], "list": [1, "two", [3]]],
    ]

    @Test("the direct serializer writes what JSONEncoder writes with sorted keys and unescaped slashes")
    func matchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: document.jsonBytes, as: UTF8.self) == String(decoding: try encoder.encode(document), as: UTF8.self))
    }

    @Test("control characters are escaped, and every document reads back as itself")
    func roundTrip() throws {
        let tricky: JSONValue = ["text": "line\nbreak\ttab\r\u{01}\u{1F}end", "nested": ["a": [.null, true, -7]]]
        for value in [document, tricky] {
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.jsonBytes)) == value)
        }
        #expect(!tricky.jsonBytes.contains(0x0A) && !tricky.jsonBytes.contains(0x01))
    }
}
