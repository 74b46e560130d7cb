import Foundation
import KCDCore
import Testing

/// A fresh folder under the system's temporary folder, removed with everything in it after `body`.
func withScratchFolder<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array((NSTemporaryDirectory() + "kcdctl-files-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let folder = String(cString: try #require(made))
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try body(folder)
}

/// The built kcdctl, killed after `seconds` if it has not ended by then, so that a regression that blocks
/// fails its test instead of hanging the suite.
func kcdctl(within seconds: Double, _ arguments: [String]) throws -> (result: RunResult, elapsed: Duration, ended: Bool)
{
    let clock = ContinuousClock()
    let started = clock.now
    let running = try startKcdctl(arguments)
    while running.process.isRunning && clock.now - started < .seconds(seconds) { usleep(10_000) }
    let ended = !running.process.isRunning
    if !ended { kill(running.process.processIdentifier, SIGKILL) }
    let result = running.wait()
    return (result, clock.now - started, ended)
}

@Suite(
    "Files kcdctl reads and writes, against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct FileSafety {
    let dc = TestDC.shared!

    /// A manifest for `hosts` in `folder` (not through `dc.manifest`: Foundation's atomic write leaves a
    /// TemporaryDirectory.* behind in /tmp).
    func manifest(in folder: String, hosts: [String], directory: String? = nil) throws -> String {
        let path = folder + "/manifest.yaml"
        try """
        version: 1
        \(directory ?? dc.simpleDirectory)
        clusters:
          - name: c
            mode: \(DelegationMode.anyProtocol.rawValue)
            hosts: [\(hosts.joined(separator: ", "))]

        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// A FIFO in `folder`, removed with it.
    func fifo(in folder: String) throws -> String {
        let path = folder + "/fifo"
        try #require(mkfifo(path, 0o600) == 0)
        return path
    }

    @Test(arguments: ["password file", "keytab", "TLS CA file"])
    func aFIFOInPlaceOfASecretOrTheCAIsRefusedAtOnce(what: String) throws {
        try withScratchFolder { folder in
            let fifo = try fifo(in: folder)
            let directory =
                switch what {
                case "password file": dc.simpleDirectory.replacingOccurrences(of: dc.passwordFile, with: fifo)
                case "keytab": dc.gssapiDirectory().replacingOccurrences(of: dc.keytab, with: fifo)
                default: dc.simpleDirectory.replacingOccurrences(of: dc.caFile, with: fifo)
                }
            let manifest = try manifest(in: folder, hosts: ["HV01"], directory: directory)
            let (r, elapsed, ended) = try kcdctl(within: 20, ["plan", "-f", manifest, "--timeout", "5"])
            #expect(ended, "kcdctl blocked on a FIFO as its \(what)")
            #expect(r.status == 1 && elapsed < .seconds(5), "\(elapsed)")
            #expect(
                r.stderr == "kcdctl: error: \(what) \(fifo) is a FIFO, not a regular file: refusing to read it\n",
                "\(r.stderr)")
        }
    }

    @Test func aFIFOAsTheSavedPlanIsRefusedAndNothingIsWritten() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        try withScratchFolder { folder in
            let manifest = try manifest(in: folder, hosts: hosts)
            let fifo = try fifo(in: folder)
            let (r, elapsed, ended) = try kcdctl(
                within: 20, ["apply", fifo, "-f", manifest, "--auto-approve", "--timeout", "5"])
            #expect(ended, "kcdctl blocked on a FIFO as its saved plan")
            #expect(r.status == 1 && elapsed < .seconds(5), "\(elapsed)")
            #expect(
                r.stderr.contains("saved plan \(fifo) is a FIFO, not a regular file: refusing to read it"),
                "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before, "nothing was written")
    }

    /// Without a reader, opening a FIFO for writing would wait for one; with one, kcdctl would write its audit
    /// trail into a pipe (and fsync fails there). Either way it is refused before any host is written.
    @Test(arguments: [false, true])
    func aFIFOAsTheAuditLogIsRefusedBeforeAnyWrite(withReader: Bool) throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        try withScratchFolder { folder in
            let manifest = try manifest(in: folder, hosts: hosts)
            let fifo = try fifo(in: folder)
            let reader = withReader ? open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1
            defer { if reader >= 0 { close(reader) } }
            let (r, elapsed, ended) = try kcdctl(
                within: 20, ["apply", "-f", manifest, "--auto-approve", "--audit-log", fifo, "--timeout", "5"])
            #expect(ended, "kcdctl blocked on a FIFO as its audit log")
            #expect(r.status == 1 && elapsed < .seconds(5), "\(elapsed)")
            #expect(
                r.stderr.contains("audit log \(fifo) is a FIFO, not a regular file: refusing to write to it"),
                "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before, "nothing was written")
    }

    /// Someone who can write to the output folder plants a symlink at the target and, as an attacker guessing
    /// kcdctl's next pid would, at every `TARGET.tmp-<pid>` kcdctl used to write through: none is followed.
    @Test(arguments: ["plan --out", "drift --metrics-file"])
    func symlinksPlantedInTheOutputFolderRedirectNothing(command: String) throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        try withScratchFolder { folder in
            let manifest = try manifest(in: folder, hosts: hosts)
            let target = folder + "/out"
            let victim = folder + "/victim"
            try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: victim)
            let lastPid = Int(
                (try String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8)).trimmingCharacters(
                    in: .whitespacesAndNewlines))!
            let maxPid = Int(
                (try String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)).trimmingCharacters(
                    in: .whitespacesAndNewlines))!
            var planted: Set<String> = ["manifest.yaml", "out", "victim"]
            for step in 1...2000 {
                let name = "out.tmp-\((lastPid + step - 1) % maxPid + 1)"
                try FileManager.default.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: victim)
                planted.insert(name)
            }
            let (r, _, ended) =
                command == "plan --out"
                ? try kcdctl(within: 20, ["plan", "-f", manifest, "--out", target])
                : try kcdctl(within: 20, ["drift", "-f", manifest, "--quiet", "--metrics-file", target])
            #expect(ended)
            #expect(r.status == (command == "plan --out" ? 0 : 2), "\(r.stderr)")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n", "the victim was overwritten")
            let type = (try FileManager.default.attributesOfItem(atPath: target))[.type] as? FileAttributeType
            #expect(type == .typeRegular)
            let written = try String(contentsOfFile: target, encoding: .utf8)
            #expect(command == "plan --out" ? written.contains("\"changes\"") : written.contains("kcdctl_drift_hosts{"))
            #expect(
                Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == planted,
                "a temporary file was left behind")
        }
    }
}
