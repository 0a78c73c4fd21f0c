/// Parsing of a listing request's query string with the rules of OpenStack Swift's
/// `swift/common/request_helpers.py` (`get_param`, `constrain_req_limit`) and
/// `config_true_value`. Called by the REST layer for container and account GETs.
extension ListingQuery {
    /// Values of `reverse` that mean true (`swift.common.utils.TRUE_VALUES`, any case).
    static let trueValues: Set<String> = ["true", "1", "yes", "on", "t", "y"]

    /// From already-decoded query items; the last occurrence of a name wins, as with
    /// Swift's `dict(parse_qsl(...))`. Unknown names are ignored.
    ///
    /// - `limit` made only of ASCII digits and above `limitMaximum` → 412
    ///   `Maximum limit is 10000`; any other non-digit `limit` is ignored (default applies).
    public init(queryItems: [(name: String, value: String)], limitMaximum: Int = ListingQuery.maximumLimit)
        throws(ListingQueryError)
    {
        var values: [String: String] = [:]
        for item in queryItems { values[item.name] = item.value }
        var limit = limitMaximum
        if let given = values["limit"], !given.isEmpty, given.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let parsed = Int(given), parsed <= limitMaximum else {
                throw ListingQueryError(status: 412, message: "Maximum limit is \(limitMaximum)")
            }
            limit = parsed
        }
        self.init(
            prefix: values["prefix"] ?? "", delimiter: values["delimiter"],
            marker: values["marker"] ?? "", endMarker: values["end_marker"] ?? "",
            limit: limit, reverse: values["reverse"].map { Self.trueValues.contains($0.lowercased()) } ?? false
        )
    }

    /// From the raw query string (`prefix=a%2F&delimiter=/`): `+` is a space and `%XX` a
    /// byte, as `parse_qsl` decodes them. A value that is not valid UTF-8 after decoding
    /// → 400 `"marker" parameter not valid UTF-8`.
    public init(queryString: String, limitMaximum: Int = ListingQuery.maximumLimit) throws(ListingQueryError) {
        var items: [(name: String, value: String)] = []
        for pair in queryString.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let nameBytes = PercentEncoding.decode(parts[0], plusAsSpace: true)
            let valueBytes = parts.count > 1 ? PercentEncoding.decode(parts[1], plusAsSpace: true) : []
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard let value = String(validating: valueBytes, as: UTF8.self) else {
                throw ListingQueryError(status: 400, message: "\"\(name)\" parameter not valid UTF-8")
            }
            items.append((name, value))
        }
        try self.init(queryItems: items, limitMaximum: limitMaximum)
    }
}
