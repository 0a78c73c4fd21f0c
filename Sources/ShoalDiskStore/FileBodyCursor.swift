import ShoalCore
import ShoalPorts
import Synchronization

/// Reads one GET's byte range out of an open `.data` file, a chunk at a time on the
/// ``DiskIO`` pool, so memory stays bounded whatever the size. Owns the descriptor: closes
/// it at the end of the range or when the stream is dropped. Made by `DiskObjectStore.get`
/// and the auditor.
///
/// A range of ``DiskObjectStore/directReadBytes`` or more is read past the page cache
/// (`O_DIRECT`) through a window taken from the store's ``AlignedBufferPool`` when the
/// cursor is made, where the file system allows it; the window goes back to the pool when
/// the range ends or the cursor is dropped.
///
/// When reading a whole body with a ``BodyCheck`` it feeds every chunk to it and checks the
/// verdict before it hands out the last one: a body that rotted on disk is never yielded
/// whole. On a mismatch it calls `onCorrupt` (which quarantines the file) and throws
/// ``ObjectStoreError/corrupt(path:)``.
final class FileBodyCursor: Sendable {
    private struct State {
        var fd: Int32
        /// Offset in the file of the next byte to read.
        var position: Int
        var remaining: Int
        /// Body bytes the header read already brought in, served first.
        var prefetched: [UInt8]?
        /// The running check of a whole read.
        var check: BodyCheck?
        /// The aligned buffer reads go through past the page cache; nil for buffered reads.
        var window: UnsafeMutableRawBufferPointer?
    }

    private let store: DiskObjectStore
    private let state: Mutex<State>
    private let onCorrupt: (@Sendable () async -> Void)?

    /// `check` is what a whole read (`start` 0, `length` the size) must pass.
    init(store: DiskObjectStore, opened: DiskObjectStore.OpenedData, start: Int, length: Int,
         checking check: BodyCheck? = nil, onCorrupt: (@Sendable () async -> Void)? = nil) {
        self.store = store
        let whole = start == 0 && length == opened.metadata.contentLength
        self.onCorrupt = onCorrupt
        var prefetched: [UInt8]?
        if start < opened.leading.count, length > 0 {
            let end = min(opened.leading.count, start + length)
            prefetched = Array(opened.leading[start..<end])
        }
        let consumed = prefetched?.count ?? 0
        var fd = opened.fd
        if consumed == length {
            PosixFile.closeFile(fd)
            fd = -1
        }
        var window: UnsafeMutableRawBufferPointer?
        if fd >= 0, length >= DiskObjectStore.directReadBytes, let windows = store.readWindows, PosixFile.setDirectIO(fd, true) {
            window = windows.take()
            store.statistics.countDirectRead()
        }
        state = Mutex(State(fd: fd, position: opened.bodyOffset + start + consumed, remaining: length - consumed,
                            prefetched: prefetched, check: whole ? check : nil, window: window))
    }

    deinit { close() }

    /// The next chunk, or nil at the end of the range.
    func next() async throws -> [UInt8]? {
        // The window travels as an address: the disk thread's closure must be Sendable.
        let step: (fd: Int32, position: Int, count: Int, window: (address: UInt, size: Int)?, ready: [UInt8]?) = state.withLock {
            if let prefetched = $0.prefetched {
                $0.prefetched = nil
                return ($0.fd, 0, 0, nil, prefetched)
            }
            let window = $0.window.flatMap { window in window.baseAddress.map { (UInt(bitPattern: $0), window.count) } }
            return ($0.fd, $0.position, min(store.readChunkBytes, $0.remaining), window, nil)
        }
        if let ready = step.ready { return try await verified(ready, isLast: step.fd < 0) }
        guard step.count > 0, step.fd >= 0 else {
            close()
            return nil
        }
        store.statistics.hold(step.count)
        defer { store.statistics.release(step.count) }
        let bytes: [UInt8]
        do {
            bytes = try await store.io.run {
                guard let window = step.window, let pointer = UnsafeMutableRawPointer(bitPattern: window.address) else {
                    return try PosixFile.read(step.fd, count: step.count, at: step.position)
                }
                return try PosixFile.readDirect(step.fd, count: step.count, at: step.position,
                                                through: UnsafeMutableRawBufferPointer(start: pointer, count: window.size))
            }
        } catch {
            close()
            throw error
        }
        guard bytes.count == step.count else {
            close()
            await onCorrupt?()
            throw ObjectStoreError.corrupt(path: "truncated body")
        }
        let finished = state.withLock {
            $0.position += step.count
            $0.remaining -= step.count
            return $0.remaining == 0
        }
        if finished { close() }
        return try await verified(bytes, isLast: finished)
    }

    /// Feeds a chunk to the running check; the last chunk is handed out only if it passes.
    private func verified(_ chunk: [UInt8], isLast: Bool) async throws -> [UInt8] {
        let failure: String? = state.withLock {
            $0.check?.update(chunk)
            return isLast ? $0.check?.failure() : nil
        }
        if let failure {
            await onCorrupt?()
            throw ObjectStoreError.corrupt(path: failure)
        }
        return chunk
    }

    private func close() {
        let window: UnsafeMutableRawBufferPointer? = state.withLock {
            if $0.fd >= 0 { PosixFile.closeFile($0.fd) }
            $0.fd = -1
            $0.remaining = 0
            let window = $0.window
            $0.window = nil
            return window
        }
        if let window { store.readWindows?.give(window) }
    }
}
