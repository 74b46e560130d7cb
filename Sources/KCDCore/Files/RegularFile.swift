import Foundation

/// Every file kcdctl reads goes through here: a FIFO, a device or a directory put where a password file,
/// keytab, CA file, manifest or saved plan belongs is refused at once instead of blocking kcdctl forever
/// (a FIFO's open waits for a writer, and --timeout only bounds LDAP), and nothing larger than expected is
/// read into memory.
public enum RegularFile {
    /// The whole content of `path`, at most `limit` bytes.
    /// - Parameter what: what the file is to kcdctl (`password file`, `saved plan`), for the error.
    public static func read(_ path: String, what: String, limit: Int) throws -> [UInt8] {
        try OpenRegularFile(path, what: what, limit: limit).read()
    }
}

/// A regular file, open and checked, owned here and closed when released.
///
/// For a C library that opens files by name (libkrb5, libldap), pass `procPath`: the library then opens the
/// very inode that was checked, not whatever is at `path` a moment later. Keep this object alive until the
/// library has read it.
public final class OpenRegularFile {
    public let path: String
    public let what: String
    public let fd: Int32
    public let size: Int
    /// `st_mode` of the open file (type and permission bits).
    public let mode: mode_t
    public let owner: uid_t
    private let limit: Int

    /// Opens without blocking (O_NONBLOCK: a FIFO's open would otherwise wait for a writer), then refuses
    /// anything that is not a regular file of at most `limit` bytes.
    public init(_ path: String, what: String, limit: Int) throws {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw FileError(opening: path, what: what, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            close(fd)
            throw FileError(path: path, what: what, problem: "cannot be read", errno: e)
        }
        if let kind = FileError.kind(info.st_mode) {
            close(fd)
            throw FileError(path: path, what: what, problem: "is \(kind), not a regular file: refusing to read it")
        }
        guard info.st_size <= limit else {
            close(fd)
            throw FileError(
                path: path, what: what,
                problem: "is larger than \(FileError.bytes(limit)) (\(info.st_size) bytes): refusing to read it")
        }
        (self.path, self.what, self.fd, self.limit) = (path, what, fd, limit)
        (size, mode, owner) = (Int(info.st_size), info.st_mode, info.st_uid)
    }

    deinit { close(fd) }

    /// `/proc/self/fd/N`: this open file, by a name a C library can open.
    public var procPath: String { "/proc/self/fd/\(fd)" }

    /// The content from the start, at most `limit` bytes; a file that grew past it since the check is refused.
    /// The buffer is never reallocated behind the caller's back, so a secret leaves no stray copy.
    public func read() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: min(size, limit) + 1)
        var count = 0
        while true {
            if count == buffer.count {
                // Grew since fstat: read on up to limit + 1 bytes, wiping the smaller buffer.
                guard buffer.count <= limit else {
                    wipe(&buffer)
                    throw FileError(
                        path: path, what: what,
                        problem: "grew beyond \(FileError.bytes(limit)) while being read: refusing it")
                }
                var larger = [UInt8](repeating: 0, count: limit + 1)
                larger.withUnsafeMutableBytes { to in buffer.withUnsafeBytes { to.copyMemory(from: $0) } }
                wipe(&buffer)
                buffer = larger
            }
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + count, $0.count - count, off_t(count)) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                wipe(&buffer)
                throw FileError(path: path, what: what, problem: "cannot be read", errno: e)
            }
            count += n
        }
        buffer.removeLast(buffer.count - count)
        return buffer
    }

    private func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0, $0.count) }
    }
}

/// Writes a whole file so that a reader (node_exporter, an operator, `kcdctl apply`) sees the old content or
/// the new one, never half of it, and so that nobody else's file can be written through a planted symlink.
public enum AtomicFile {
    /// Writes to a new file with an unpredictable name beside `path` (created exclusively, never through a
    /// symlink), flushes it to disk and renames it over `path`. A symlink at `path` is replaced, not followed.
    /// Nothing is left behind on failure.
    public static func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try write(path, Array(text.utf8), mode: mode)
    }

    public static func write(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temporary = path + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw FileError(writing: path, errno: errno) }
        var failure = writeAll(fd, bytes)
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(temporary, path) != 0 { failure = errno }
        if let failure {
            unlink(temporary)
            throw FileError(writing: path, errno: failure)
        }
    }
}

/// All of `bytes` to `fd`: write(2) may write less than asked (a file size limit reached, a signal), so it is
/// called again for the rest, and again after EINTR. Returns nil when everything was written, else the errno
/// of the failing call (EIO for a call that wrote nothing without an error).
/// - Parameter write: the system call; tests pass one that writes a few bytes at a time.
func writeAll(
    _ fd: Int32, _ bytes: [UInt8],
    write: (Int32, UnsafeRawPointer, Int) -> Int = { Foundation.write($0, $1, $2) }
) -> Int32? {
    bytes.withUnsafeBytes { buffer -> Int32? in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n == 0 ? EIO : errno }
            done += n
        }
        return nil
    }
}

/// A file kcdctl could not or would not read or write, in one line that names it.
public struct FileError: Error, CustomStringConvertible {
    public var path: String
    /// What the file is to kcdctl (`password file`, `keytab`, `audit log`).
    public var what: String
    /// The system's error, when a call failed.
    public var errno: Int32?
    public var description: String

    public init(path: String, what: String, errno: Int32? = nil, description: String) {
        (self.path, self.what, self.errno, self.description) = (path, what, errno, description)
    }

    /// `WHAT PATH PROBLEM`, with the system's text when there is an errno.
    public init(path: String, what: String, problem: String, errno: Int32? = nil) {
        let reason = errno.map { ": " + String(cString: strerror($0)) } ?? ""
        self.init(path: path, what: what, errno: errno, description: "\(what) \(path) \(problem)\(reason)")
    }

    /// A failed open(2), naming what is at `path` when that is the reason (ENXIO: a socket, or a FIFO opened
    /// for writing without a reader).
    public init(opening path: String, what: String, errno: Int32, writing: Bool = false) {
        var info = stat()
        if errno == ENXIO || errno == EISDIR, stat(path, &info) == 0, let kind = Self.kind(info.st_mode) {
            self.init(
                path: path, what: what,
                problem: "is \(kind), not a regular file: refusing to \(writing ? "write to" : "read") it")
        } else {
            self.init(path: path, what: what, problem: writing ? "cannot be written" : "cannot be read", errno: errno)
        }
    }

    init(writing path: String, errno: Int32) {
        self.init(
            path: path, what: "file", errno: errno,
            description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }

    /// `a FIFO`, `a directory`, …; nil for a regular file.
    public static func kind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "of type \(String(mode & S_IFMT, radix: 8))"
        }
    }

    /// `4 KiB`, `256 MiB`, or bytes.
    static func bytes(_ count: Int) -> String {
        count >= 1 << 20 && count % (1 << 20) == 0
            ? "\(count >> 20) MiB"
            : count >= 1 << 10 && count % (1 << 10) == 0 ? "\(count >> 10) KiB" : "\(count) bytes"
    }
}
