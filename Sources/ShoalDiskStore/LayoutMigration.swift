#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore
import ShoalPorts

/// Moves a device written in Swift's layout, one folder per object
/// (`<partition>/<suffix>/<hash>/<timestamp>.<kind>`), to the store's flat one
/// (`<partition>/<suffix>/<hash>-<timestamp>.<kind>`), once, when the store opens.
///
/// Each file is renamed (atomic, and never copied), so a crash half-way leaves every
/// version either in its old folder or in its new place, never lost and never twice; the
/// next opening finishes the work. Each suffix folder that received files is flushed, and
/// only then the marker `objects/.flat` is made and flushed: from then on opening costs
/// one `access` call. Blocking: called from ``DiskObjectStore/init``, before serving.
enum LayoutMigration {
    static let marker = ".flat"

    /// Returns how many files moved.
    @discardableResult
    static func flatten(objectsPath: String) throws(ObjectStoreError) -> Int {
        let markerPath = objectsPath + "/" + marker
        if access(markerPath, F_OK) == 0 { return 0 }
        var moved = 0
        for partition in try PosixFile.list(objectsPath) where Int(partition) != nil {
            let partitionPath = objectsPath + "/" + partition
            for suffix in try PosixFile.list(partitionPath) where ObjectHash.isSuffix(suffix) {
                moved += try flatten(suffixPath: partitionPath + "/" + suffix)
            }
        }
        let fd = try PosixFile.openFile(markerPath, flags: O_WRONLY | O_CREAT)
        PosixFile.closeFile(fd)
        try PosixFile.syncDirectory(objectsPath)
        return moved
    }

    /// Moves the files of every hash folder in one suffix folder up into it.
    private static func flatten(suffixPath: String) throws(ObjectStoreError) -> Int {
        var moved = 0
        for entry in try PosixFile.list(suffixPath) {
            guard let hash = ObjectHash(hex: entry) else { continue }
            let folder = suffixPath + "/" + entry
            for name in try PosixFile.list(folder) {
                try PosixFile.renameFile(folder + "/" + name, to: suffixPath + "/" + hash.hex + DiskObjectStore.ObjectFiles.separator + name)
                moved += 1
            }
            PosixFile.removeEmptyDirectory(folder)
        }
        if moved > 0 { try PosixFile.syncDirectory(suffixPath) }
        return moved
    }
}
