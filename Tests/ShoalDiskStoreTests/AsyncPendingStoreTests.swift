import Foundation
import ShoalCore
import ShoalDiskStore
import Testing

/// Saving, listing, loading and removing container updates that could not be delivered.
struct AsyncPendingStoreTests {
    static func update(_ name: String, at seconds: Int64, operation: ContainerUpdate.Operation = .put) -> ContainerUpdate {
        ContainerUpdate(operation: operation, account: "AUTH_test", container: "c", object: name, timestamp: ts(seconds),
                        sizeBytes: 42, contentType: "text/plain", etag: "0123456789abcdef0123456789abcdef")
    }

    @Test func saveListLoadRemoveAndRestart() async throws {
        let folder = try TemporaryDirectory()
        let pending = try AsyncPendingStore(devicePath: folder.path)
        #expect(try await pending.list().isEmpty)
        let first = try await pending.save(Self.update("x", at: 20), objectHash: key("x").hash)
        let second = try await pending.save(Self.update("y", at: 10, operation: .delete), objectHash: key("y").hash)
        let third = try await pending.save(Self.update("x", at: 30), objectHash: key("x").hash)
        #expect(folder.files(under: "async_pending").contains("\(key("x").hash.suffix)/\(key("x").hash.hex)-0000000020.00000"))
        #expect(try await pending.list() == [second, first, third])

        let reopened = try AsyncPendingStore(devicePath: folder.path + "/")
        #expect(try await reopened.list() == [second, first, third])
        #expect(try await reopened.load(second) == Self.update("y", at: 10, operation: .delete))
        #expect(try await reopened.load(third) == Self.update("x", at: 30))
        try await reopened.remove(second)
        try await reopened.remove(second)
        #expect(try await reopened.load(second) == nil)
        #expect(try await reopened.list() == [first, third])
        #expect(folder.files(under: "tmp").isEmpty)
    }

    @Test func corruptEntryIsReported() async throws {
        let folder = try TemporaryDirectory()
        let pending = try AsyncPendingStore(devicePath: folder.path)
        let entry = try await pending.save(Self.update("z", at: 5), objectHash: key("z").hash)
        let file = folder.path + "/async_pending/\(key("z").hash.suffix)/\(entry.fileName)"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("SHAP garbage".utf8)))
        await #expect(throws: (any Error).self) { try await pending.load(entry) }
        // Files with foreign names are not listed.
        #expect(FileManager.default.createFile(atPath: folder.path + "/async_pending/\(key("z").hash.suffix)/notes.txt", contents: Data()))
        #expect(try await pending.list() == [entry])
    }

    @Test func aSweepRemovesTheSuffixFoldersItEmptied() async throws {
        let folder = try TemporaryDirectory()
        let pending = try AsyncPendingStore(devicePath: folder.path)
        let x = try await pending.save(Self.update("x", at: 20), objectHash: key("x").hash)
        let y = try await pending.save(Self.update("y", at: 30), objectHash: key("y").hash)
        #expect(key("x").hash.suffix != key("y").hash.suffix)
        try await pending.remove(x)
        // The folder goes at the next sweep, not at the removal (another save may be on its way).
        #expect(FileManager.default.fileExists(atPath: folder.path + "/async_pending/\(key("x").hash.suffix)"))
        #expect(try await pending.list() == [y])
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/async_pending/\(key("x").hash.suffix)"))
        #expect(FileManager.default.fileExists(atPath: folder.path + "/async_pending/\(key("y").hash.suffix)"))
        // A folder holding something else stays; a later save remakes a removed one.
        let foreign = folder.path + "/async_pending/abc"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: foreign + "/notes.txt", contents: Data()))
        let again = try await pending.save(Self.update("x", at: 40), objectHash: key("x").hash)
        #expect(try await pending.list() == [y, again])
        #expect(FileManager.default.fileExists(atPath: foreign + "/notes.txt"))
        #expect(try await pending.load(again) == Self.update("x", at: 40))
    }
}
