import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ShoalCore
import Testing
@testable import ShoalSwiftAPI

@Suite("Listing formats")
struct ListingRendererTests {
    let items: [ObjectListing] = [
        .object(ObjectListingEntry(name: "a\"b", bytes: 5, etag: "5d41402abc4b2a76b9719d911017c592", contentType: "text/plain",
                                   lastModified: SwiftTimestamp("1367357087.12345")!)),
        .subdir(SubdirEntry(prefix: "photos/")),
        .object(ObjectListingEntry(name: "é<x>", bytes: 0, etag: "d41d8cd98f00b204e9800998ecf8427e",
                                   contentType: "application/octet-stream", lastModified: SwiftTimestamp("0000000001.00000")!)),
    ]

    @Test("plain is one name per line")
    func plain() {
        #expect(ListingRenderer.render(items, format: .plain, container: "c") == "a\"b\nphotos/\né<x>\n")
    }

    @Test("JSON parses back with Swift's keys and escapes non-ASCII")
    func json() throws {
        let text = ListingRenderer.render(items, format: .json, container: "c")
        #expect(text.contains("\\u00e9<x>"))
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
        #expect(parsed.count == 3)
        #expect(parsed[0]["name"] as? String == "a\"b")
        #expect(parsed[0]["bytes"] as? Int == 5)
        #expect(parsed[0]["last_modified"] as? String == "2013-04-30T21:24:47.123450")
        #expect(parsed[1]["subdir"] as? String == "photos/")
        #expect(parsed[2]["name"] as? String == "é<x>")
        #expect(parsed[2]["last_modified"] as? String == "1970-01-01T00:00:01.000000")
    }

    @Test("XML escapes names and carries the root's name")
    func xml() throws {
        let text = ListingRenderer.render(items, format: .xml, container: "my&c")
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<container name=\"my&amp;c\">"))
        #expect(text.contains("<name>é&lt;x&gt;</name>"))
        #expect(text.contains("<subdir name=\"photos/\"><name>photos/</name></subdir>"))
        let document = try XMLDocument(xmlString: text)
        #expect(try document.nodes(forXPath: "//object").count == 2)
    }

    @Test("account listings carry count and bytes")
    func account() throws {
        let rows: [ContainerListing] = [
            .container(ContainerListingEntry(name: "photos", count: 3, bytes: 42, lastModified: SwiftTimestamp("1700000000")!)),
        ]
        let text = ListingRenderer.render(rows, format: .json, account: "AUTH_test")
        #expect(text == "[{\"name\": \"photos\", \"count\": 3, \"bytes\": 42, \"last_modified\": \"2023-11-14T22:13:20.000000\"}]")
        #expect(ListingRenderer.render(rows, format: .xml, account: "AUTH_test").contains(
            "<account name=\"AUTH_test\"><container><name>photos</name><count>3</count><bytes>42</bytes>"))
    }

    @Test("format negotiation: query, then Accept, then plain")
    func negotiation() throws {
        #expect(try ListingFormat.negotiate(query: "json", accept: "application/xml") == .json)
        #expect(try ListingFormat.negotiate(query: nil, accept: "application/xml;q=0.9, text/plain") == .xml)
        #expect(try ListingFormat.negotiate(query: nil, accept: "image/png") == .plain)
        #expect(try ListingFormat.negotiate(query: nil, accept: nil) == .plain)
        #expect(throws: SwiftError.badRequest("Invalid format: yaml")) { try ListingFormat.negotiate(query: "yaml", accept: nil) }
    }

    @Test("ISO times agree with the calendar for any day", arguments: [0, 1, 951_782_400, 1_709_164_800, 4_102_444_800])
    func calendar(seconds: Int64) {
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let expected = String(format: "%04d-%02d-%02dT", parts.year!, parts.month!, parts.day!)
        #expect(ListingRenderer.isoformat(SwiftTimestamp(ticks: seconds * 100_000)).hasPrefix(expected))
        #expect(HTTPDateParser.daysFromCivil(year: Int64(parts.year!), month: Int64(parts.month!), day: Int64(parts.day!)) == seconds / 86_400)
    }
}
