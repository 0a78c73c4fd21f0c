import ShoalCore
import ShoalPorts
import ShoalSQLite
import ShoalSwiftAPI

/// PUT, DELETE and POST, and the container update that follows a PUT or DELETE.
extension ObjectServer {
    func put(_ head: BackendRequestHead, key: ObjectKey, store: any ObjectStore, body: ChunkStream) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        guard let contentType = head.headers["Content-Type"] else { throw SwiftError.badRequest("No content type") }
        let expiry = try deleteAt(of: head, timestamp: timestamp)
        let (user, other) = try storedHeaders(of: head, includeSysmeta: true)
        // Only `If-None-Match: *` asks what is stored now; without it the write goes
        // straight to the store, which refuses it (409) when something newer is there.
        let conditions = ConditionalRequest(header: { head.headers[$0] })
        if conditions.ifNoneMatch != nil {
            let live: Bool = if case .live = try await find(key, in: store, at: timestamp) { true } else { false }
            if try conditions.evaluateWrite(exists: live) == .preconditionFailed { throw SwiftError.preconditionFailed }
        }
        let declaredLength = head.headers.integer("Content-Length")
        let metadata = ObjectMetadata(
            timestamp: timestamp, contentType: contentType, contentLength: declaredLength ?? 0,
            userMetadata: user, otherHeaders: other)
        do {
            try metadata.validate()
        } catch {
            throw SwiftError.badRequest("Invalid metadata: \(error)")
        }
        // The proxy's footer (only ever with a length) carries the MD5 it computed: no replica
        // hashes the body again. Without one the store computes it.
        let footed = head.headers[BackendHeader.etagFooter] != nil
        if footed, declaredLength == nil { throw SwiftError.badRequest("An ETag footer needs a Content-Length") }
        let checked = declaredLength.map { LengthCheckedBody(body, expectedBytes: $0, footerBytes: footed ? BackendHeader.etagFooterBytes : 0) }
        let digest: BodyDigest = if footed, let checked { .supplied { checked.footer } } else { .computed }
        let stored: StoredObject
        do {
            stored = try await store.put(key, metadata: metadata, body: checked?.checked ?? body, expectedETag: expectedETag(head),
                                         digest: digest)
        } catch is LengthCheckedBody.Mismatch {
            throw SwiftError(status: 499, body: "Client Disconnect")
        } catch ObjectStoreError.etagMismatch {
            throw SwiftError.unprocessable
        } catch ObjectStoreError.invalidDigest(let footer) {
            throw SwiftError.badRequest("Bad ETag footer: \(footer)")
        } catch ObjectStoreError.outdated(let existing) {
            return conflict(existing)
        } catch ObjectStoreError.invalidMetadata(let violation) {
            throw SwiftError.badRequest("Invalid metadata: \(violation)")
        }
        try await scheduleExpiry(expiry, device: head.device, key: key, timestamp: timestamp)
        await updateContainer(head, key: key, update: ContainerUpdate(
            operation: .put, account: key.account, container: key.container, object: key.object, timestamp: timestamp,
            sizeBytes: stored.sizeBytes, contentType: contentType, etag: stored.etag))
        return .empty(201, headers: ["ETag": "\"\(stored.etag)\""])
    }

    func delete(_ head: BackendRequestHead, key: ObjectKey, store: any ObjectStore) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        let found: Found
        let wrote: Bool
        if let text = head.headers[BackendHeader.ifDeleteAt] {
            // The expirer's conditional delete: the stored X-Delete-At must match before
            // anything is written, so this one looks first.
            found = try await find(key, in: store, at: timestamp)
            guard let wanted = Int64(text.trimmingWhitespace()) else { throw SwiftError.badRequest("Bad X-If-Delete-At header value") }
            guard found.timestamp != nil else { return StorageResponse(.notFound) }
            let stored: Int64? = switch found {
            case .live(let metadata), .expired(let metadata): metadata.deleteAt
            case .deleted, .missing: nil
            }
            guard (stored ?? 0) == wanted else {
                throw SwiftError.preconditionFailed("X-If-Delete-At and X-Delete-At do not match")
            }
            wrote = try await store.delete(key, timestamp: timestamp).wroteTombstone
        } else {
            // The store looks and writes in one step and says what it saw.
            switch try await store.delete(key, timestamp: timestamp) {
            case .deleted(let previous):
                found = Found(previous, at: timestamp)
                wrote = true
            case .outdated(let current):
                found = Found(current, at: timestamp)
                wrote = false
            }
        }
        if wrote {
            await updateContainer(head, key: key, update: ContainerUpdate(
                operation: .delete, account: key.account, container: key.container, object: key.object, timestamp: timestamp))
        }
        // Swift's answer: 204 when a tombstone went over live data, 409 when live data is
        // as new or newer (the store compares the data's own time, Swift's data_timestamp,
        // not a newer .meta's), 404 over nothing, a tombstone or an expired object.
        let status: Int = switch found {
        case .live: wrote ? 204 : 409
        case .expired, .deleted, .missing: 404
        }
        let backendTimestamp = wrote ? timestamp : max(found.timestamp ?? timestamp, timestamp)
        var headers: HeaderFields = [BackendHeader.backendTimestamp: backendTimestamp.internal]
        if let held = found.timestamp { headers[BackendHeader.foundTimestamp] = held.internal }
        switch status {
        case 204: return .empty(204, headers: headers)
        case 409: return StorageResponse(.conflict, headers: headers)
        default: return StorageResponse(.notFound, headers: headers)
        }
    }

    func post(_ head: BackendRequestHead, key: ObjectKey, store: any ObjectStore) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        let expiry = try deleteAt(of: head, timestamp: timestamp)
        guard case .live(let current) = try await find(key, in: store, at: timestamp) else { return StorageResponse(.notFound) }
        guard current.timestamp < timestamp else { return conflict(current.timestamp) }
        // Sysmeta belongs to the data file: the merge keeps it (ObjectMetadata.applying).
        let (user, other) = try storedHeaders(of: head, includeSysmeta: false)
        let update = ObjectMetadataUpdate(timestamp: timestamp, userMetadata: user, otherHeaders: other)
        do {
            try update.validate()
        } catch {
            throw SwiftError.badRequest("Invalid metadata: \(error)")
        }
        switch try await store.post(key, metadata: update) {
        case .updated:
            try await scheduleExpiry(expiry, device: head.device, key: key, timestamp: current.timestamp)
            return .empty(202)
        case .notFound: return StorageResponse(.notFound)
        case .outdated(let existing): return conflict(existing)
        }
    }

    // MARK: Expiry

    /// Records an object version with `X-Delete-At` in its device's expiry queue before the
    /// write is acknowledged, so the ``ObjectExpirer`` always finds it. `timestamp` is the
    /// data's (what the expirer's DELETE must be newer than).
    func scheduleExpiry(_ deleteAt: Int64?, device: DeviceID, key: ObjectKey, timestamp: SwiftTimestamp) async throws {
        guard let deleteAt, let queue = expiryQueues[device] else { return }
        try await queue.add(ExpiryQueue.Entry(deleteAt: deleteAt, account: key.account, container: key.container,
                                              object: key.object, timestamp: timestamp))
    }

    // MARK: Container updates

    /// Tells the container replicas the proxy named (`X-Container-Device`,
    /// `X-Container-Partition`) about a write; when any of them does not take it, the
    /// update is saved as an async pending for the ``ObjectUpdater``. Never fails the write.
    func updateContainer(_ head: BackendRequestHead, key: ObjectKey, update: ContainerUpdate) async {
        let (devices, addresses) = head.updateTargets(devices: BackendHeader.containerDevice, hosts: BackendHeader.containerHost)
        guard !devices.isEmpty, let partition = head.headers.integer(BackendHeader.containerPartition) else {
            logger.warning("object write without container update target", metadata: ["path": "\(head.path)"])
            return
        }
        let statuses: [DeviceID: Int?]
        if devices.count == 1 {
            // The usual case (one replica per object server): coalesced with the other
            // updates to that replica.
            let device = devices[0]
            var status: Int?
            if let address = await updates.address(of: device, given: addresses) {
                status = await containerUpdates.submit(update, to: ContainerUpdateBatcher.Destination(
                    address: address, device: device, partition: partition, account: update.account,
                    container: update.container))
            }
            statuses = [device: status]
        } else {
            statuses = await updates.send(to: devices, addresses: addresses, on: .container) { device in
                update.backendHead(device: device, partition: partition)
            }
        }
        let delivered = statuses.values.allSatisfy { $0.map { (200..<300).contains($0) } ?? false }
        if delivered { return }
        logger.info("container update failed; saving async pending",
                    metadata: ["path": "\(head.path)", "statuses": "\(statuses)"])
        guard let queue = asyncPendings[head.device] else {
            logger.error("no async pending queue for device", metadata: ["device": "\(head.device)"])
            return
        }
        do {
            try await queue.save(update, objectHash: key.hash)
        } catch {
            logger.error("could not save async pending", metadata: ["path": "\(head.path)", "error": "\(error)"])
        }
    }

    private func conflict(_ existing: SwiftTimestamp) -> StorageResponse {
        StorageResponse(.conflict, headers: [BackendHeader.backendTimestamp: existing.internal])
    }

    /// The client's `ETag`, unquoted and lowercased, when it sent one.
    private func expectedETag(_ head: BackendRequestHead) -> String? {
        guard let raw = head.headers["ETag"]?.trimmingWhitespace(), !raw.isEmpty else { return nil }
        return String(raw.filter { $0 != "\"" }).lowercased()
    }
}
