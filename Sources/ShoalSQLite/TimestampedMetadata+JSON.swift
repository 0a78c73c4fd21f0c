import Foundation
import ShoalCore

/// The stored form of metadata in the stats rows: Swift's own JSON,
/// `{"X-Container-Meta-Color": ["blue", "1700000000.00000"]}`.
extension TimestampedMetadata {
    init(json: String, path: String) throws {
        guard !json.isEmpty else {
            self.init()
            return
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String]] else {
            throw BrokerError.corrupt(path: path, reason: "metadata is not JSON of [value, timestamp] pairs")
        }
        var items: [String: Item] = [:]
        for (key, pair) in object {
            guard pair.count == 2, let timestamp = SwiftTimestamp(pair[1]) else {
                throw BrokerError.corrupt(path: path, reason: "bad metadata entry for \(key)")
            }
            items[key] = Item(value: pair[0], timestamp: timestamp)
        }
        self.init(items: items)
    }

    var json: String {
        let object = items.mapValues { [$0.value, $0.timestamp.internal] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
