/// A node's configuration file: `key = value` lines, `#` or `;` comments, optional
/// `[section]` headers that prefix the keys below them (`[rest]` + `port = 8080` gives
/// `rest.port`). The format OpenStack operators already write.
public struct ConfigFile: Hashable, Sendable {
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public let values: [String: String]

    public init(values: [String: String]) { self.values = values }

    public init(parsing text: String) throws(ParseError) {
        var values: [String: String] = [:]
        var section = ""
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = String(rawLine).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw ParseError(line: number, reason: "bad section header") }
                section = String(line.dropFirst().dropLast()).trimmingWhitespace().lowercased()
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(line: number, reason: "expected key = value")
            }
            let key = String(line[..<equals]).trimmingWhitespace().lowercased().replacingDashes()
            guard !key.isEmpty else { throw ParseError(line: number, reason: "empty key") }
            let value = String(line[line.index(after: equals)...]).trimmingWhitespace()
            let fullKey = section.isEmpty ? key : "\(section).\(key)"
            guard values[fullKey] == nil else { throw ParseError(line: number, reason: "\(fullKey) is set twice") }
            values[fullKey] = value
        }
        self.values = values
    }

    public subscript(key: String) -> String? { values[key] }
}

extension String {
    fileprivate func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
