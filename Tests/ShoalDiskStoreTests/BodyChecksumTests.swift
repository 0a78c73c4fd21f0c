import Foundation
import ShoalCore
@testable import ShoalDiskStore
import ShoalPorts
import Testing

/// The checksum every file carries: a whole GET checks it instead of an MD5, the auditor
/// checks both, header-only files are checked too, and files written before it existed
/// are still read and checked by their MD5.
struct BodyChecksumTests {
    @Test func crcIsTheStandardOneAndJoinsPieces() {
        var check = CRC32()
        check.update(Array("123456789".utf8))
        #expect(check.value == 0xCBF4_3926, "the CRC-32 check value")
        let body = bodyBytes(70_001, seed: 4)
        var whole = CRC32()
        whole.update(body)
        var head = CRC32(), tail = CRC32()
        head.update(Array(body[..<12_345]))
        tail.update(Array(body[12_345...]))
        #expect(head.followed(by: tail) == whole)
        var empty = CRC32()
        empty.update([UInt8]())
        #expect(whole.followed(by: empty) == whole && empty.followed(by: whole) == whole)
    }

    /// The fast CRC is zlib's CRC-32 bit for bit (files written before it must still check):
    /// against a bit-at-a-time reference, over lengths around the vector widths, fed in
    /// random pieces, from unaligned starts.
    @Test func theFastCRCIsZlibsCRCOnEveryLengthAndSplit() {
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        var random = SeededRandom(seed: 0xC4C)
        let data = bodyBytes(9_000, seed: 9)
        for length in Array(0...300) + [511, 512, 513, 1_023, 1_024, 4_095, 4_096, 4_097, 8_999] {
            let start = Int.random(in: 0...(data.count - length), using: &random)
            let slice = data[start..<(start + length)]
            var crc = CRC32()
            var offset = slice.startIndex
            while offset < slice.endIndex {
                let piece = min(slice.endIndex - offset, Int.random(in: 1...700, using: &random))
                slice[offset..<(offset + piece)].withUnsafeBytes { crc.update($0) }
                offset += piece
            }
            #expect(crc.value == reference(slice), "length \(length) from \(start)")
            #expect(crc.count == length)
        }
    }

    /// Bit rot in a body the first read does not bring in whole, and in one it does: both
    /// are caught by the checksum (the reason names it), quarantined, then gone.
    @Test(arguments: [100_000, 1_000]) func aRottenBodyIsCaughtByItsChecksum(size: Int) async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("rot-\(size)")
        let body = bodyBytes(size, seed: 5)
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes(body), expectedETag: nil)
        #expect(try await readAll(store.get(k, range: nil)) == body)
        try await damage(k, in: store, folder: folder)
        // A range is not checked (as in Swift): its bytes are served as stored.
        #expect(try await readAll(store.get(k, range: 0...9)) == Array(body[0...9]))
        if size > DiskObjectStore.firstReadBytes {
            do {
                _ = try await readAll(store.get(k, range: nil))
                Issue.record("a rotten body was served whole")
            } catch ObjectStoreError.corrupt(let reason) {
                #expect(reason.hasPrefix("checksum"), "\(reason)")
            }
        } else {
            #expect(try await store.get(k, range: nil) == nil, "read whole at open, found bad, never served")
        }
        #expect(store.statistics.quarantined == 1)
        #expect(try await store.head(k) == .missing)
    }

    /// A body whose stored MD5 is not its digest but whose checksum was made to match (what
    /// a bug between hashing and writing would leave): a GET cannot tell, the auditor can.
    @Test func theAuditorProvesTheETagAsWell() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("etag")
        let body = bodyBytes(5_000, seed: 8)
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes(body), expectedETag: nil)
        let file = storedFile(k, "0000000001.00000.data", on: folder.path)
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: file)))
        var prefix = try DiskFileFormat.decodePrefix(bytes)
        let record = Array(bytes[prefix.recordStart..<prefix.recordEnd])
        prefix.md5 = Array(repeating: 0xAB, count: 16)
        var checksum = DiskFileFormat.checksumBeforeBody(record: record, md5: prefix.md5)
        checksum.update(Array(bytes[prefix.bodyOffset...]))
        bytes.replaceSubrange(0..<DiskFileFormat.prefixBytes, with: DiskFileFormat.encodePrefix(
            kind: .data, bodyLength: prefix.bodyLength, md5: prefix.md5, recordLength: prefix.recordLength, checksum: checksum.value))
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))

        #expect(try await readAll(store.get(k, range: nil)) == body)
        guard case .quarantined(let reason) = try await store.audit(k.hash, inPartition: k.partition) else {
            Issue.record("the auditor kept a body whose MD5 is not its ETag")
            return
        }
        #expect(reason.hasPrefix("body MD5"), "\(reason)")
    }

    @Test func aRottenMetaFileIsQuarantinedNotTrusted() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("meta")
        _ = try await store.put(k, metadata: metadata(at: ts(1)), body: .bytes([1, 2]), expectedETag: nil)
        _ = try await store.post(k, metadata: ObjectMetadataUpdate(timestamp: ts(2), userMetadata: ["Colour": "blue"]))
        let file = storedFile(k, "0000000002.00000.meta", on: folder.path)
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: file)))
        // "blue" becomes "blve": the record still decodes, only the checksum can tell.
        let at = try #require(bytes.lastIndex(of: UInt8(ascii: "u")))
        bytes[at] = UInt8(ascii: "v")
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        guard case .present(let found, _) = try await store.head(k) else { Issue.record("the data is gone"); return }
        #expect(found.timestamp == ts(1) && found.userMetadata.isEmpty, "the rotten update was applied")
        #expect(store.statistics.quarantined == 1)
        #expect(try storedNames(of: k, on: folder.path) == ["0000000001.00000.data"])
    }

    /// A `.data` file in the first version's layout (36-byte prefix, no checksum), as an
    /// earlier Shoal wrote it: read, and a whole read checked by its MD5.
    @Test func aFileFromBeforeTheChecksumIsReadAndCheckedByItsMD5() async throws {
        let folder = try TemporaryDirectory()
        let store = try DiskObjectStore(devicePath: folder.path)
        let k = key("old")
        let body = bodyBytes(90_000, seed: 6)
        var meta = metadata(at: ts(3), user: ["Age": "old"])
        meta.contentLength = body.count
        let record = DiskFileFormat.dataRecord(path: k.path, metadata: meta)
        var prefix = ByteWriter()
        prefix.writeRaw(DiskFileFormat.magic)
        prefix.write(UInt8(1))
        prefix.write(DiskFileFormat.Kind.data.rawValue)
        prefix.write(UInt16(0))
        prefix.write(UInt64(body.count))
        prefix.writeRaw(DiskFileFormat.md5Bytes(hex: ETagHasher.hex(of: body)))
        prefix.write(UInt32(record.count))
        #expect(prefix.bytes.count == DiskFileFormat.uncheckedPrefixBytes)
        let file = storedFile(k, "0000000003.00000.data", on: folder.path)
        try FileManager.default.createDirectory(atPath: PosixFile.parent(of: file), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: file, contents: Data(prefix.bytes + record + body)))

        let reader = try #require(try await store.get(k, range: nil))
        #expect(reader.metadata.etag == ETagHasher.hex(of: body) && reader.metadata.userMetadata == ["Age": "old"])
        #expect(try await reader.body.collect(upTo: 1 << 20) == body)
        #expect(try await store.audit(k.hash, inPartition: k.partition) == .verified(bytes: body.count))
        try await damage(k, in: store, folder: folder)
        do {
            _ = try await readAll(store.get(k, range: nil))
            Issue.record("a rotten old body was served whole")
        } catch ObjectStoreError.corrupt(let reason) {
            #expect(reason.hasPrefix("body MD5"), "\(reason)")
        }
    }
}
