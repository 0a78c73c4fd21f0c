import Testing
@testable import ShoalCore

@Suite("ListingQuery parsing")
struct ListingQueryTests {
    @Test("defaults: no bounds, limit 10000, forward")
    func defaults() throws {
        let query = try ListingQuery(queryString: "")
        #expect(query == ListingQuery(prefix: "", delimiter: nil, marker: "", endMarker: "", limit: 10_000, reverse: false))
    }

    @Test("every parameter, percent-decoded, + as space")
    func everything() throws {
        let query = try ListingQuery(
            queryString: "prefix=photos%2F2024+x&delimiter=%2F&marker=a%C3%A9&end_marker=z&limit=25&reverse=on&format=json")
        #expect(query == ListingQuery(prefix: "photos/2024 x", delimiter: "/", marker: "aé", endMarker: "z", limit: 25, reverse: true))
    }

    @Test("limit above the maximum is 412 Maximum limit is 10000", arguments: ["10001", "99999999999999999999999"])
    func limitTooLarge(limit: String) {
        #expect(throws: ListingQueryError(status: 412, message: "Maximum limit is 10000")) {
            try ListingQuery(queryString: "limit=\(limit)")
        }
    }

    @Test("a limit that is not all digits is ignored, as Swift's isdigit() check does", arguments: ["-1", "abc", "1.5", "", " 5"])
    func limitIgnored(limit: String) throws {
        #expect(try ListingQuery(queryItems: [("limit", limit)]).limit == 10_000)
    }

    @Test("limit 0 and 10000 are accepted")
    func limitBounds() throws {
        #expect(try ListingQuery(queryString: "limit=0").limit == 0)
        #expect(try ListingQuery(queryString: "limit=10000").limit == 10_000)
        #expect(throws: ListingQueryError(status: 412, message: "Maximum limit is 4")) {
            try ListingQuery(queryString: "limit=5", limitMaximum: 4)
        }
    }

    @Test("reverse takes Swift's true values in any case", arguments: [
        ("true", true), ("1", true), ("YES", true), ("On", true), ("t", true), ("y", true),
        ("false", false), ("0", false), ("", false), ("reverse", false),
    ])
    func reverse(value: String, expected: Bool) throws {
        #expect(try ListingQuery(queryItems: [("reverse", value)]).reverse == expected)
    }

    @Test("a multi-character delimiter is kept (Swift allows any UTF-8 string since 2.24); empty means none")
    func delimiters() throws {
        #expect(try ListingQuery(queryString: "delimiter=ab").delimiter == "ab")
        #expect(try ListingQuery(queryString: "delimiter=").delimiter == nil)
    }

    @Test("a parameter that is not UTF-8 is 400")
    func invalidUTF8() {
        #expect(throws: ListingQueryError(status: 400, message: "\"marker\" parameter not valid UTF-8")) {
            try ListingQuery(queryString: "marker=%FF%FE")
        }
    }

    @Test("the last occurrence of a parameter wins; a lone % stays literal")
    func repeats() throws {
        let query = try ListingQuery(queryString: "prefix=a&prefix=b%&marker=%4")
        #expect(query.prefix == "b%" && query.marker == "%4")
    }
}

@Suite("ListingScan")
struct ListingScanTests {
    @Test("successor of a prefix bounds every name that starts with it")
    func successor() {
        #expect(ListingScan.successor(of: Array("a/".utf8)) == Array("a0".utf8))
        #expect(ListingScan.successor(of: [0x61, 0xFF]) == [0x62])
    }

    @Test("a subdir ends the page and the next range starts at its successor, inclusive")
    func pagesPastSubdir() {
        var scan = ListingScan(ListingQuery(prefix: "p/", delimiter: "/", limit: 10))
        let first = scan.nextRange()
        #expect(first?.lower == Array("p/".utf8) && first?.lowerInclusive == true && first?.upper == Array("p0".utf8))
        #expect(scan.accept(name: Array("p/a".utf8)) == .entry)
        #expect(scan.accept(name: Array("p/b/c".utf8)) == .subdir(Array("p/b/".utf8)))
        scan.endPage(rowCount: 2)
        let second = scan.nextRange()
        #expect(second?.lower == Array("p/b0".utf8) && second?.lowerInclusive == true && second?.limit == 8)
        scan.endPage(rowCount: 0)
        #expect(scan.nextRange() == nil)
    }
}
