import Foundation
import KCDCore

/// Files kcdctl writes: saved plans and metrics whole and atomically, the audit trail by appending.
enum Files {
    /// Writes to a temporary file beside `path`, flushes it to disk and renames it over `path`, so a reader
    /// (node_exporter, an operator) sees the old content or the new one, never half of it.
    static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: path, action: "write", errno: errno) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw FileError(path: path, action: "write", errno: e)
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, action: "read", errno: FileManager.default.fileExists(atPath: path) ? EACCES : ENOENT)
        }
        return Array(data)
    }
}

/// The audit trail: one JSON object per line, appended and flushed to disk before the next write.
final class AuditLog {
    let path: String
    private let fd: Int32

    /// Opens (creating, mode 0640) for appending. Failing here stops an apply before anything is written.
    init(path: String) throws {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw FileError(path: path, action: "open the audit log", errno: errno) }
        self.path = path
    }

    deinit { close(fd) }

    func append(_ record: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(record)
        line.append(0x0A)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw FileError(path: path, action: "append to the audit log", errno: errno)
        }
    }
}

struct FileError: Error, CustomStringConvertible {
    var path: String
    var action: String
    var errno: Int32
    var description: String { "cannot \(action) \(path): \(String(cString: strerror(errno)))" }
}
