import Foundation
import KCDCore

/// Files kcdctl writes: saved plans and metrics whole and atomically, the audit trail by appending.
/// (Everything it reads goes through `RegularFile`.)
enum Files {
    /// Through `AtomicFile`: a reader (node_exporter, an operator) sees the old content or the new one, never
    /// half of it, and a symlink planted in a shared folder redirects nothing.
    static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try AtomicFile.write(path, Array(text.utf8), mode: mode)
    }
}

/// The audit trail: one JSON object per line, appended and flushed to disk before the next write.
final class AuditLog {
    let path: String
    private let fd: Int32

    /// Opens (creating, mode 0640) for appending. Failing here stops an apply before anything is written.
    /// Only a regular file will do: opened with O_NONBLOCK, a FIFO without a reader fails at once (ENXIO) and
    /// one with a reader is refused by its type, so an apply never blocks on its audit trail.
    init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0o640)
        guard fd >= 0 else { throw FileError(opening: path, what: "audit log", errno: errno, writing: true) }
        func refused(_ problem: String, errno: Int32? = nil) -> FileError {
            close(fd)
            return FileError(path: path, what: "audit log", problem: problem, errno: errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refused("cannot be written", errno: errno) }
        if let kind = FileError.kind(info.st_mode) { throw refused("is \(kind), not a regular file: refusing to write to it") }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else { throw refused("cannot be written", errno: errno) }
        self.fd = fd
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
            throw FileError(path: path, what: "audit log", problem: "cannot be appended to", errno: errno)
        }
    }
}
