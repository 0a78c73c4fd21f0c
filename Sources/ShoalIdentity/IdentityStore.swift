import Foundation
import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts

/// Identity records in Shoal's own object store: one JSON object per record in the reserved
/// account `.shoal_identity`, a container per collection, replicated by the ring like any
/// data. Writes and reads go through the proxy, so they have its quorum (a record written
/// through one node can be read through any other at once). Unique names are claimed with
/// `If-None-Match: *` on an index object (`names/<kind>/<scope>/<name>`), which the object
/// servers refuse with 412 when the name is taken.
public struct IdentityStore: Sendable {
    public static let account = ".shoal_identity"
    static let namesContainer = "names"
    static let revocationsContainer = "revocations"

    let backend: any StorageHandler

    public init(backend: any StorageHandler) {
        self.backend = backend
    }

    static let trusted = ["shoal.authorized_by": "identity"]

    func request(_ method: String, container: String? = nil, object: String? = nil, query: [String: String] = [:],
                 headers: HeaderFields = [:], body: [UInt8]? = nil) async -> StorageResponse {
        var headers = headers
        if let body { headers["Content-Length"] = String(body.count) }
        return await backend.handle(StorageRequest(
            method: method, account: Self.account, container: container, object: object, query: query, headers: headers,
            body: body.map { ChunkStream.bytes($0) }, environment: Self.trusted))
    }

    /// Creates the containers, and with the first one the account (idempotent).
    public func prepare() async throws(KeystoneError) {
        let containers = [IdentityDomain.collection, IdentityProject.collection, IdentityUser.collection, IdentityRole.collection,
                          RoleAssignment.collection, IdentityService.collection, IdentityEndpoint.collection,
                          IdentityRegion.collection, ApplicationCredential.collection, IdentityGroup.collection, GroupMembership.collection, Self.namesContainer, Self.revocationsContainer]
        for container in containers {
            guard await request("PUT", container: container).isSuccess else { throw .unavailable }
        }
    }

    // MARK: Records

    /// The record `id`, nil when there is none.
    public func get<Record: IdentityResource>(_ type: Record.Type, _ id: String) async throws(KeystoneError) -> Record? {
        guard Self.isValidName(id) else { return nil }
        let response = await request("GET", container: Record.collection, object: id)
        if response.status == 404 { return nil }
        guard response.isSuccess, let body = try? await response.body?.collect(upTo: 1 << 20) else { throw .unavailable }
        return try? JSONDecoder().decode(Record.self, from: Data(body))
    }

    /// Writes `record`; with `create`, only if no record has its id yet (409 otherwise).
    public func put<Record: IdentityResource>(_ record: Record, create: Bool = false) async throws(KeystoneError) {
        guard let body = try? JSONEncoder().encode(record) else { throw .unavailable }
        var headers: HeaderFields = ["Content-Type": "application/json"]
        if create { headers["If-None-Match"] = "*" }
        let response = await request("PUT", container: Record.collection, object: record.id, headers: headers, body: Array(body))
        if response.status == 412 { throw .conflict(Record.member, "Duplicate ID, \(record.id)") }
        guard response.isSuccess else { throw .unavailable }
    }

    /// Deletes the record `id`; false when there was none.
    @discardableResult
    public func delete<Record: IdentityResource>(_ type: Record.Type, _ id: String) async throws(KeystoneError) -> Bool {
        guard Self.isValidName(id) else { return false }
        let response = await request("DELETE", container: Record.collection, object: id)
        if response.status == 404 { return false }
        guard response.isSuccess else { throw .unavailable }
        return true
    }

    /// Every record of a collection (the container listing, then each record).
    public func list<Record: IdentityResource>(_ type: Record.Type, prefix: String? = nil) async throws(KeystoneError) -> [Record] {
        let names = try await listing(Record.collection, prefix: prefix)
        var records: [Record] = []
        try await withThrowingTaskGroupCollecting(names) { name throws(KeystoneError) in try await get(Record.self, name) }
            .forEach { if let record = $0 { records.append(record) } }
        return records
    }

    /// Object names of `container`, all pages.
    func listing(_ container: String, prefix: String? = nil) async throws(KeystoneError) -> [String] {
        try await listingRows(container, prefix: prefix).map(\.name)
    }

    /// (name, etag) of every object of `container`, all pages.
    func listingRows(_ container: String, prefix: String? = nil) async throws(KeystoneError) -> [(name: String, etag: String)] {
        var names: [(name: String, etag: String)] = []
        var marker = ""
        while true {
            var query = ["format": "json", "limit": "10000"]
            if !marker.isEmpty { query["marker"] = marker }
            if let prefix { query["prefix"] = prefix }
            let response = await request("GET", container: container, query: query)
            guard response.isSuccess, let body = try? await response.body?.collect(upTo: 64 << 20),
                  let rows = try? JSONDecoder().decode([JSONValue].self, from: Data(body)) else { throw .unavailable }
            let page = rows.compactMap { row in row["name"]?.string.map { (name: $0, etag: row["hash"]?.string ?? "") } }
            names += page
            guard page.count == 10_000, let last = page.last else { return names }
            marker = last.name
        }
    }

    // MARK: Unique names

    /// Claims `name` for `id` in `kind` within `scope` (a domain id, or "" for global names);
    /// 409 when another record holds it.
    public func claimName(kind: String, scope: String, name: String, id: String) async throws(KeystoneError) {
        let key = Self.nameKey(kind: kind, scope: scope, name: name)
        let response = await request("PUT", container: Self.namesContainer, object: key,
                                     headers: ["If-None-Match": "*", "Content-Type": "text/plain"], body: Array(id.utf8))
        if response.status == 412 {
            if try await lookupName(kind: kind, scope: scope, name: name) == id { return }
            throw .conflict(kind, "Duplicate entry found with name \(name)" + (scope.isEmpty ? "" : " at domain ID \(scope)"))
        }
        guard response.isSuccess else { throw .unavailable }
    }

    /// The id holding `name`, nil when none.
    public func lookupName(kind: String, scope: String, name: String) async throws(KeystoneError) -> String? {
        let response = await request("GET", container: Self.namesContainer, object: Self.nameKey(kind: kind, scope: scope, name: name))
        if response.status == 404 { return nil }
        guard response.isSuccess, let body = try? await response.body?.collect(upTo: 4096) else { throw .unavailable }
        return String(decoding: body, as: UTF8.self)
    }

    public func releaseName(kind: String, scope: String, name: String) async throws(KeystoneError) {
        let response = await request("DELETE", container: Self.namesContainer, object: Self.nameKey(kind: kind, scope: scope, name: name))
        guard response.isSuccess || response.status == 404 else { throw .unavailable }
    }

    /// Names are hashed into the key so any UTF-8 name (slashes too) makes a valid object name.
    static func nameKey(kind: String, scope: String, name: String) -> String {
        "\(kind)/\(scope)/" + Hex.encode(Array(name.utf8)).prefix(400)
    }

    // MARK: Revocations

    /// Persists a revocation event so nodes that start later, or missed the news, learn it.
    public func putRevocation(_ event: RevocationList.Event, at time: Int64, expiresAfter lifetime: Int64) async throws(KeystoneError) {
        let response = await request("PUT", container: Self.revocationsContainer, object: event.key,
                                     headers: ["X-Delete-After": String(max(60, lifetime)), "Content-Type": "text/plain"],
                                     body: Array(String(time).utf8))
        guard response.isSuccess else { throw .unavailable }
    }

    /// The stored revocation events, except those whose version (`<name>/<etag>`, as the
    /// listing shows them) is in `seen`; returns the versions listed, to pass next time, so a
    /// sync reads only what changed.
    public func revocations(skipping seen: Set<String> = []) async throws(KeystoneError)
        -> (events: [(RevocationList.Event, Int64)], versions: Set<String>)
    {
        let rows = try await listingRows(Self.revocationsContainer)
        var events: [(RevocationList.Event, Int64)] = []
        var versions: Set<String> = []
        for (name, etag) in rows {
            let version = name + "/" + etag
            versions.insert(version)
            guard !seen.contains(version), let event = RevocationList.Event(key: name) else { continue }
            let response = await request("GET", container: Self.revocationsContainer, object: name)
            guard response.isSuccess, let body = try? await response.body?.collect(upTo: 64),
                  let time = Int64(String(decoding: body, as: UTF8.self)) else { continue }
            events.append((event, time))
        }
        return (events, versions)
    }

    /// Ids are object names: 1–255 bytes, no slash or control characters.
    static func isValidName(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 255 && !id.contains("/") && !id.unicodeScalars.contains { $0.value < 0x20 }
    }
}

/// Runs `body` for every element, eight at a time, and returns the results in order.
func withThrowingTaskGroupCollecting<Element: Sendable, Result: Sendable>(
    _ elements: [Element], _ body: @escaping @Sendable (Element) async throws(KeystoneError) -> Result
) async throws(KeystoneError) -> [Result] {
    var results = [Result?](repeating: nil, count: elements.count)
    var failure: KeystoneError?
    await withTaskGroup(of: (Int, Swift.Result<Result, KeystoneError>).self) { group in
        var next = 0
        func add() {
            guard next < elements.count else { return }
            let index = next, element = elements[index]
            next += 1
            group.addTask {
                do throws(KeystoneError) { return (index, .success(try await body(element))) } catch { return (index, .failure(error)) }
            }
        }
        for _ in 0..<8 { add() }
        for await (index, result) in group {
            switch result {
            case .success(let value): results[index] = value
            case .failure(let error): failure = error
            }
            add()
        }
    }
    if let failure { throw failure }
    return results.map { $0! }
}
