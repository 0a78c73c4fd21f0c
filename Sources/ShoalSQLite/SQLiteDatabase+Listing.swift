import ShoalCore

/// The listing loop shared by the container and account brokers: runs the ranges a
/// ``ListingScan`` asks for against a table's `(deleted, name)` index.
extension SQLiteDatabase {
    /// Lists the live rows of `table` for `query`. `columns` must start with `name` (a
    /// BLOB); `entry` turns the current row into an entry, `subdir` a rolled-up prefix.
    func listing<Entry>(
        table: String, columns: String, query: ListingQuery,
        entry: (SQLiteStatement) -> Entry, subdir: (String) -> Entry
    ) throws -> [Entry] {
        var scan = ListingScan(query)
        var results: [Entry] = []
        results.reserveCapacity(min(query.limit, 1_000))
        while let range = scan.nextRange() {
            var sql = "SELECT \(columns) FROM \(table) WHERE deleted = 0"
            if range.lower != nil { sql += range.lowerInclusive ? " AND name >= ?" : " AND name > ?" }
            if range.upper != nil { sql += " AND name < ?" }
            sql += range.descending ? " ORDER BY name DESC LIMIT ?" : " ORDER BY name LIMIT ?"
            let rows = try withStatement(sql) { statement -> Int in
                var parameter: Int32 = 1
                if let lower = range.lower {
                    try statement.bind(parameter, bytes: lower)
                    parameter += 1
                }
                if let upper = range.upper {
                    try statement.bind(parameter, bytes: upper)
                    parameter += 1
                }
                try statement.bind(parameter, range.limit)
                var rows = 0
                page: while try statement.step() {
                    rows += 1
                    switch scan.accept(name: statement.bytes(0)) {
                    case .entry:
                        results.append(entry(statement))
                    case .subdir(let prefix):
                        results.append(subdir(String(decoding: prefix, as: UTF8.self)))
                        break page
                    case .endPage:
                        break page
                    }
                }
                return rows
            }
            scan.endPage(rowCount: rows)
        }
        return results
    }
}
