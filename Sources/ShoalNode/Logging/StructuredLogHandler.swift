import Foundation
import Logging

/// Writes one line per log event to standard error, as `key=value` text or as a JSON
/// object: time, level, label, message, then the metadata keys. The node's only log sink;
/// `shoal start --log-format json` picks JSON for collectors.
public struct StructuredLogHandler: LogHandler {
    public enum Format: Sendable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let format: Format

    public init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = render(level: event.level, message: event.message.description, metadata: merged)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func render(level: Logger.Level, message: String, metadata: Logger.Metadata, now: Date = Date()) -> String {
        let time = now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        let fields: [(String, String)] = [("time", time), ("level", level.rawValue), ("logger", label), ("msg", message)]
            + metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }
        switch format {
        case .json:
            let body = fields.map { "\(StructuredLogHandler.jsonString($0.0)):\(StructuredLogHandler.jsonString($0.1))" }
            return "{" + body.joined(separator: ",") + "}"
        case .text:
            return fields.map { key, value in
                value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty
                    ? "\(key)=\(StructuredLogHandler.jsonString(value))" : "\(key)=\(value)"
            }.joined(separator: " ")
        }
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
