import Foundation
import KCDCore
import Testing

/// A fresh directory under the system's temporary folder, removed with everything in it after `body`.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array((NSTemporaryDirectory() + "kcdctl-files-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let folder = String(cString: try #require(made))
    defer {
        chmod(folder, 0o700)
        try? FileManager.default.removeItem(atPath: folder)
    }
    return try body(folder)
}

/// The error text of `body` (nil if it succeeded), run on another thread that gets `seconds` to end; if it
/// has not, `unblock` (run here) must make it end. A regression then fails the test instead of hanging the suite.
func errorWithin(_ seconds: Double, _ body: @escaping @Sendable () throws -> Any, unblock: () -> Void = {}) -> (
    ended: Bool, error: String?
) {
    final class Outcome: @unchecked Sendable {
        var error: String?
        let done = DispatchSemaphore(value: 0)
    }
    let outcome = Outcome()
    Thread.detachNewThread {
        outcome.error = errorText(body)
        outcome.done.signal()
    }
    if outcome.done.wait(timeout: .now() + seconds) == .success { return (true, outcome.error) }
    unblock()
    _ = outcome.done.wait(timeout: .now() + 5)
    return (false, outcome.error)
}

func errorText(_ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return String(describing: error)
    }
}

/// The error text of an expression, nil if it did not throw.
func failure(_ body: @autoclosure () throws -> Any) -> String? { errorText(body) }

func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

func fileType(_ path: String) -> FileAttributeType? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
}

@Suite struct RegularFiles {
    @Test func aFIFOIsRefusedAtOnceWithoutAWriter() throws {
        try withTemporaryDirectory { folder in
            let fifo = folder + "/pw"
            try #require(mkfifo(fifo, 0o600) == 0)
            let clock = ContinuousClock()
            let started = clock.now
            let (ended, error) = errorWithin(
                5, { try RegularFile.read(fifo, what: "password file", limit: 4096) },
                unblock: {
                    // Whoever waits in open() or read() on the FIFO gets its end of file.
                    let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                    if writer >= 0 { close(writer) }
                })
            #expect(ended, "reading a FIFO blocked")
            #expect(clock.now - started < .seconds(1))
            #expect(error == "password file \(fifo) is a FIFO, not a regular file: refusing to read it")
        }
    }

    @Test func aFIFOWithAWriterIsRefusedToo() throws {
        try withTemporaryDirectory { folder in
            let fifo = folder + "/keytab"
            try #require(mkfifo(fifo, 0o600) == 0)
            // A reader first, so that the writer's open succeeds; then the FIFO has both ends.
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)
            defer {
                close(writer)
                close(reader)
            }
            try #require(reader >= 0 && writer >= 0)
            let (ended, error) = errorWithin(
                5, { try OpenRegularFile(fifo, what: "keytab", limit: 1 << 20) }, unblock: { close(writer) })
            #expect(ended, "opening a FIFO blocked")
            #expect(error == "keytab \(fifo) is a FIFO, not a regular file: refusing to read it")
        }
    }

    @Test(arguments: [("/dev/zero", "a character device"), ("/dev/null", "a character device"), ("/", "a directory")])
    func devicesAndDirectoriesAreRefused(path: String, kind: String) {
        let (ended, error) = errorWithin(5) { try RegularFile.read(path, what: "saved plan", limit: 1 << 20) }
        #expect(ended, "reading \(path) did not end")
        #expect(error == "saved plan \(path) is \(kind), not a regular file: refusing to read it")
    }

    @Test func aSocketIsRefused() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/s"
            let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(s) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(bound == 0)
            // open(2) of a socket fails with ENXIO; the message still says what it is.
            #expect(
                failure(try RegularFile.read(path, what: "password file", limit: 4096))
                    == "password file \(path) is a socket, not a regular file: refusing to read it")
        }
    }

    @Test func theSizeLimitHolds() throws {
        try withTemporaryDirectory { folder in
            let atLimit = folder + "/at"
            let over = folder + "/over"
            let empty = folder + "/empty"
            _ = FileManager.default.createFile(atPath: atLimit, contents: Data(repeating: 0x61, count: 4096))
            _ = FileManager.default.createFile(atPath: over, contents: Data(repeating: 0x61, count: 4097))
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            let full = try RegularFile.read(atLimit, what: "password file", limit: 4096)
            let none = try RegularFile.read(empty, what: "password file", limit: 4096)
            #expect(full == [UInt8](repeating: 0x61, count: 4096) && none == [])
            #expect(
                failure(try RegularFile.read(over, what: "password file", limit: 4096))
                    == "password file \(over) is larger than 4 KiB (4097 bytes): refusing to read it")
            #expect(failure(try RegularFile.read(over, what: "saved plan", limit: 256 << 20)) == nil)
        }
    }

    /// /proc files say size 0 and then have content: the read goes on past fstat's size, up to the limit.
    @Test func aFileLongerThanItsSizeIsReadToTheLimitAndNoFurther() throws {
        let status = try RegularFile.read("/proc/self/status", what: "status", limit: 1 << 20)
        #expect(String(decoding: status, as: UTF8.self).hasPrefix("Name:"))
        #expect(
            failure(try RegularFile.read("/proc/self/status", what: "status", limit: 16))
                == "status /proc/self/status grew beyond 16 bytes while being read: refusing it")
    }

    @Test func aMissingFileIsOneLine() {
        #expect(
            failure(try RegularFile.read("/nonexistent/pw", what: "password file", limit: 4096))
                == "password file /nonexistent/pw cannot be read: No such file or directory")
    }

    @Test func anOpenFileIsDescribedAndReachableThroughProc() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/ca.pem"
            try "CA\n".write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, 0o640)
            let file = try OpenRegularFile(path, what: "TLS CA file", limit: 1 << 20)
            #expect(
                file.size == 3 && file.mode & 0o777 == 0o640 && file.mode & S_IFMT == S_IFREG && file.owner == getuid())
            #expect(file.procPath == "/proc/self/fd/\(file.fd)")
            // What a C library opening procPath gets: this inode, even after the name points elsewhere.
            try #require(rename(path, path + ".old") == 0)
            try "other\n".write(toFile: path, atomically: false, encoding: .utf8)
            #expect(contents(file.procPath) == "CA\n")
            #expect(try file.read() == Array("CA\n".utf8))
        }
    }

    // MARK: AtomicFile

    @Test func aSymlinkPlantedAtThePredictableTemporaryNameIsNotFollowed() throws {
        try withTemporaryDirectory { folder in
            let target = folder + "/plan.json"
            let victim = folder + "/victim"
            try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
            // Where kcdctl used to write first: path + ".tmp-<pid>".
            try FileManager.default.createSymbolicLink(atPath: target + ".tmp-\(getpid())", withDestinationPath: victim)
            try AtomicFile.write(target, Array("plan\n".utf8), mode: 0o644)
            #expect(contents(victim) == "precious\n")
            #expect(contents(target) == "plan\n" && fileType(target) == .typeRegular)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
                    == ["plan.json", "plan.json.tmp-\(getpid())", "victim"])
        }
    }

    @Test func aSymlinkAtThePathItselfIsReplacedNotFollowed() throws {
        try withTemporaryDirectory { folder in
            let target = folder + "/kcd.prom"
            let victim = folder + "/victim"
            try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: victim)
            try AtomicFile.write(target, Array("metrics\n".utf8), mode: 0o600)
            #expect(contents(victim) == "precious\n")
            #expect(fileType(target) == .typeRegular && contents(target) == "metrics\n")
            let mode = (try FileManager.default.attributesOfItem(atPath: target))[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["kcd.prom", "victim"])
        }
    }

    @Test func nothingIsLeftBehindOnSuccessOrFailure() throws {
        try withTemporaryDirectory { folder in
            let target = folder + "/out.json"
            try AtomicFile.write(target, Array("one\n".utf8), mode: 0o644)
            try AtomicFile.write(target, Array("two\n".utf8), mode: 0o644)
            #expect(contents(target) == "two\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.json"])

            // The rename fails (a directory is in the way) after the temporary file was written.
            let blocked = folder + "/blocked"
            try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
            #expect(
                failure(try AtomicFile.write(blocked, Array("x".utf8), mode: 0o644))
                    == "cannot write \(blocked): Is a directory")
            // No folder to write in at all.
            #expect(
                failure(try AtomicFile.write(folder + "/none/out.json", [], mode: 0o644))
                    == "cannot write \(folder)/none/out.json: No such file or directory")
            if getuid() != 0 {
                chmod(folder, 0o500)
                #expect(
                    failure(try AtomicFile.write(target, [], mode: 0o644))
                        == "cannot write \(target): Permission denied")
                chmod(folder, 0o700)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["blocked", "out.json"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: blocked) == ["inside"])
        }
    }
}
