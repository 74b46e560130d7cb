import Foundation

/// The audit trail's file: one JSON object per line, appended and flushed to disk before the next write to the
/// directory, so that the trail is never one host short of what was sent.
public final class AuditLog {
    public let path: String
    private let fd: Int32

    /// Opens (creating, mode 0640) for appending. Failing here stops an apply before anything is written.
    /// Only a regular file will do: opened with O_NONBLOCK, a FIFO without a reader fails at once (ENXIO) and
    /// one with a reader is refused by its type, so an apply never blocks on its audit trail.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0o640)
        guard fd >= 0 else { throw FileError(opening: path, what: "audit log", errno: errno, writing: true) }
        func refused(_ problem: String, errno: Int32? = nil) -> FileError {
            close(fd)
            return FileError(path: path, what: "audit log", problem: problem, errno: errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refused("cannot be written", errno: errno) }
        if let kind = FileError.kind(info.st_mode) {
            throw refused("is \(kind), not a regular file: refusing to write to it")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            throw refused("cannot be written", errno: errno)
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// `record` as one line of JSON, written whole and fsync'd.
    public func append(_ record: some Encodable) throws {
        let line = try JSONOutput.encode(record, pretty: false) + [0x0A]
        var failure = writeAll(fd, line)
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if let failure {
            throw FileError(path: path, what: "audit log", problem: "cannot be appended to", errno: failure)
        }
    }
}

/// What `apply` appends to its audit log: one record per event of each host it wrote or refused, with what the
/// run was (who, where, which manifest and plan).
public struct AuditTrail {
    public let log: AuditLog
    public let context: AuditRecord.Context

    public init(log: AuditLog, context: AuditRecord.Context) {
        self.log = log
        self.context = context
    }

    public func record(_ event: ApplyEvent, at time: Date = Date()) throws {
        try log.append(AuditRecord(event, context: context, time: time))
    }
}
