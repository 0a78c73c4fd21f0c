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
            let media = part.split(separator: ";").first.map { String($0).trimmingSpaces() } ?? ""
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

/// One row of a container or account listing, as the API shows it.
public enum ListingItem: Hashable, Sendable {
    case object(name: String, bytes: Int64, hash: String, contentType: String, lastModified: SwiftTimestamp)
    case subdir(String)
    case container(name: String, count: Int64, bytes: Int64, lastModified: SwiftTimestamp)

    var name: String {
        switch self {
        case .object(let name, _, _, _, _), .container(let name, _, _, _): name
        case .subdir(let prefix): prefix
        }
    }
}

/// Renders listings byte for byte as OpenStack Swift does.
public enum ListingRenderer {
    /// `root` is the XML root element: `container` (with the container's name) or `account`.
    public static func render(_ items: [ListingItem], format: ListingFormat, root: (element: String, name: String)) -> String {
        switch format {
        case .plain:
            return items.map { $0.name + "\n" }.joined()
        case .json:
            return "[" + items.map(json).joined(separator: ", ") + "]"
        case .xml:
            var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root.element) name=\"\(escape(root.name))\">"
            for item in items { out += xml(item) }
            return out + "</\(root.element)>"
        }
    }

    static func json(_ item: ListingItem) -> String {
        switch item {
        case .object(let name, let bytes, let hash, let contentType, let lastModified):
            return "{\"hash\": \(quote(hash)), \"last_modified\": \(quote(isoformat(lastModified))), "
                + "\"bytes\": \(bytes), \"name\": \(quote(name)), \"content_type\": \(quote(contentType))}"
        case .subdir(let prefix):
            return "{\"subdir\": \(quote(prefix))}"
        case .container(let name, let count, let bytes, let lastModified):
            return "{\"name\": \(quote(name)), \"count\": \(count), \"bytes\": \(bytes), "
                + "\"last_modified\": \(quote(isoformat(lastModified)))}"
        }
    }

    static func xml(_ item: ListingItem) -> String {
        switch item {
        case .object(let name, let bytes, let hash, let contentType, let lastModified):
            return "<object><name>\(escape(name))</name><hash>\(hash)</hash><bytes>\(bytes)</bytes>"
                + "<content_type>\(escape(contentType))</content_type><last_modified>\(isoformat(lastModified))</last_modified></object>"
        case .subdir(let prefix):
            return "<subdir name=\"\(escape(prefix))\"><name>\(escape(prefix))</name></subdir>"
        case .container(let name, let count, let bytes, let lastModified):
            return "<container><name>\(escape(name))</name><count>\(count)</count><bytes>\(bytes)</bytes>"
                + "<last_modified>\(isoformat(lastModified))</last_modified></container>"
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
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
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
