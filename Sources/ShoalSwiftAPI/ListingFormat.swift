import ShoalCore

/// How a listing is rendered: `?format=json|xml|plain`, else the `Accept` header, else
/// plain text — OpenStack Swift's negotiation.
public enum ListingFormat: String, Sendable, CaseIterable {
    case plain, json, xml

    public var contentType: String {
        switch self {
        case .plain: "text/plain; charset=utf-8"
        case .json: "application/json; charset=utf-8"
        case .xml: "application/xml; charset=utf-8"
        }
    }

    /// The format a request asks for; an unknown `format` value is Swift's 400.
    public static func negotiate(query format: String?, accept: String?) throws(SwiftError) -> ListingFormat {
        if let format {
            switch format.lowercased() {
            case "json": return .json
            case "xml": return .xml
            case "plain", "text": return .plain
            default: throw .badRequest("Invalid format: \(format)")
            }
        }
        guard let accept = accept?.lowercased() else { return .plain }
        // The first supported media type in the client's order wins (no q-value ranking yet).
        for part in accept.split(separator: ",") {
            let media = part.split(separator: ";").first.map { String($0).trimmingWhitespace() } ?? ""
            switch media {
            case "application/json": return .json
            case "application/xml", "text/xml": return .xml
            case "text/plain", "*/*", "text/*": return .plain
            default: continue
            }
        }
        return .plain
    }
}

/// Renders listings byte for byte as OpenStack Swift does.
public enum ListingRenderer {
    /// A container's object listing; the XML root is `<container name="...">`.
    public static func render(_ items: [ObjectListing], format: ListingFormat, container: String) -> String {
        render(items.map(Row.init), format: format, root: "container", name: container)
    }

    /// An account's container listing; the XML root is `<account name="...">`.
    public static func render(_ items: [ContainerListing], format: ListingFormat, account: String) -> String {
        render(items.map(Row.init), format: format, root: "account", name: account)
    }

    /// One listing row as fields in Swift's order: (JSON/XML key, value, is a number).
    struct Row {
        let name: String
        let element: String
        let fields: [(key: String, value: String, numeric: Bool)]

        init(name: String, element: String, fields: [(key: String, value: String, numeric: Bool)]) {
            self.name = name
            self.element = element
            self.fields = fields
        }

        init(_ item: ObjectListing) {
            switch item {
            case .object(let entry):
                self.init(name: entry.name, element: "object", fields: [
                    ("hash", entry.etag, false), ("last_modified", isoformat(entry.lastModified), false),
                    ("bytes", String(entry.bytes), true), ("name", entry.name, false), ("content_type", entry.contentType, false),
                ])
            case .subdir(let subdir):
                self.init(subdir: subdir)
            }
        }

        init(_ item: ContainerListing) {
            switch item {
            case .container(let entry):
                self.init(name: entry.name, element: "container", fields: [
                    ("name", entry.name, false), ("count", String(entry.count), true),
                    ("bytes", String(entry.bytes), true), ("last_modified", isoformat(entry.lastModified), false),
                ])
            case .subdir(let subdir):
                self.init(subdir: subdir)
            }
        }

        init(subdir: SubdirEntry) {
            self.init(name: subdir.prefix, element: "subdir", fields: [("subdir", subdir.prefix, false)])
        }

        var json: String {
            "{" + fields.map { "\"\($0.key)\": " + ($0.numeric ? $0.value : quote($0.value)) }.joined(separator: ", ") + "}"
        }

        var xml: String {
            if element == "subdir" { return "<subdir name=\"\(escape(name))\"><name>\(escape(name))</name></subdir>" }
            // Swift's XML lists the name first.
            let ordered = fields.filter { $0.key == "name" } + fields.filter { $0.key != "name" }
            return "<\(element)>" + ordered.map { "<\($0.key)>\(escape($0.value))</\($0.key)>" }.joined() + "</\(element)>"
        }
    }

    static func render(_ rows: [Row], format: ListingFormat, root: String, name: String) -> String {
        switch format {
        case .plain:
            return rows.map { $0.name + "\n" }.joined()
        case .json:
            return "[" + rows.map(\.json).joined(separator: ", ") + "]"
        case .xml:
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root) name=\"\(escape(name))\">"
                + rows.map(\.xml).joined() + "</\(root)>"
        }
    }

    /// `2013-04-30T21:24:47.123450`: Swift's listing time (UTC, microseconds, no zone).
    public static func isoformat(_ timestamp: SwiftTimestamp) -> String {
        let seconds = timestamp.ticks / SwiftTimestamp.ticksPerSecond
        let micros = (timestamp.ticks % SwiftTimestamp.ticksPerSecond) * 10
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (year, month, day) = civil(fromDays: days)
        let rest = seconds - days * 86_400
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest % 3600 / 60, 2)):\(pad(rest % 60, 2)).\(pad(micros, 6))"
    }

    /// The inverse of ``HTTPDateParser/daysFromCivil(year:month:day:)``.
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let date = CivilDate.date(fromDays: days)
        return (date.year, date.month, date.day)
    }

    /// A JSON string literal (Python's json.dumps escapes non-ASCII as \uXXXX; so do we).
    static func quote(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
