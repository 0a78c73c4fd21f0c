import Foundation
import Testing
import ShoalPorts
@testable import ShoalDiskStore

/// The few file-system helpers the store builds on: directories made from the leaf up.
struct PosixFileTests {
    func makeFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-posix-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func missingParentsAreMadeAndReportedOutermostFirst() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try PosixFile.makeDirectories(folder + "/a/b/c") == [folder + "/a", folder + "/a/b", folder + "/a/b/c"])
        #expect(try PosixFile.makeDirectories(folder + "/a/b/c") == [])
        #expect(try PosixFile.makeDirectories(folder + "/a/b/d") == [folder + "/a/b/d"])
        #expect(try PosixFile.makeDirectories(folder + "/a/x/y") == [folder + "/a/x", folder + "/a/x/y"])
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: folder + "/a/x/y", isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func aFileInThePathIsAnError() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(FileManager.default.createFile(atPath: folder + "/file", contents: Data()))
        #expect(throws: ObjectStoreError.io(operation: "mkdir", errno: ENOTDIR)) {
            try PosixFile.makeDirectories(folder + "/file/a/b")
        }
    }
}
