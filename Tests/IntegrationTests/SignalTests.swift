import Foundation
import KCDCore
import KCDLDAP
import Testing

/// The complete lines of an audit trail that kcdctl may be appending to, as JSON objects.
private func completeAuditRecords(_ path: String) -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().compactMap {
        try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
    }
}

/// Whether `signal` is still pending for the process `pid` (to the process, or to one of its threads): not yet
/// taken by whatever it has to receive it.
private func isPending(_ signal: Int32, in pid: pid_t) -> Bool {
    let bit = UInt64(1) << UInt64(signal - 1)
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    for status in ["/proc/\(pid)/status"] + tasks.map({ "/proc/\(pid)/task/\($0)/status" }) {
        guard let text = try? String(contentsOfFile: status, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n") where line.hasPrefix("SigPnd:") || line.hasPrefix("ShdPnd:") {
            let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 0
            if mask & bit != 0 { return true }
        }
    }
    return false
}

/// kcdctl started as a shell starts it: no signal blocked, SIGINT, SIGTERM and SIGPIPE at their default actions.
/// `Running` (Foundation's Process) passes on the signal mask of the thread that starts it, and the test's threads
/// block SIGINT and SIGTERM: a kcdctl started that way would take signals the way no operator's kcdctl does.
private final class StartedFromAShell {
    let pid: pid_t
    private let out = temporaryPath("out")
    private var status: Int32?

    init(_ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var nothing = sigset_t()
        sigemptyset(&nothing)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &nothing)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&files, 2, out + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The environment `startKcdctl` gives it.
        var environment = ProcessInfo.processInfo.environment
        for key in [
            "KCDCTL_BIND_PASSWORD", "KCDCTL_URI", "KCDCTL_BASE_DN", "KCDCTL_KEYTAB", "KCDCTL_PRINCIPAL",
            "KRB5CCNAME",
        ] { environment[key] = nil }
        environment["KCDCTL_DC_DIR"] = TestDC.dcFolder
        if let dc = TestDC.shared { environment["KRB5_CONFIG"] = environment["KRB5_CONFIG"] ?? dc.krb5Config }
        let binary = try kcdctlBinary()
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, binary, &files, &attributes, argv, envp)
        guard error == 0 else { throw TestFailure("posix_spawn \(binary): \(String(cString: strerror(error)))") }
        self.pid = pid
    }

    var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status == nil
    }

    /// The exit status; a kcdctl ended by a signal gets -signal (never 128 + signal, which kcdctl exits with).
    func wait() -> RunResult {
        var raw: Int32 = 0
        if status == nil, waitpid(pid, &raw, 0) == pid { status = raw }
        let exit = status.map { $0 & 0x7F == 0 ? ($0 >> 8) & 0xFF : -($0 & 0x7F) } ?? -1
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: out + ".err")
        }
        return RunResult(
            status: exit, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "")
    }
}

/// A real SIGINT or SIGTERM sent with kill(2) to a `kcdctl apply` process started as from a shell, while it waits
/// for the DC's answer to one host's request. No test hook: a proxy in front of the DC holds kcdctl's request for
/// that host, the first chunk it sends after the host's intent is on disk, so the signal arrives at the same point
/// in every run.
@Suite(
    "A real signal to kcdctl apply mid-apply",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct SignalsToTheBinary {
    let dc = TestDC.shared!

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalLetsTheHostInFlightFinishThenStops(signal: Int32) throws {
        let hosts = TestDC.names("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")
        let inFlight = 2
        try dc.addComputers(hosts)
        let before = try dc.read(hosts)
        let proxy = try Proxy(to: 636)
        let viaProxy = dc.simpleDirectory.replacingOccurrences(
            of: dc.uri, with: "ldaps://\(LDAPConnection.host(of: dc.uri)):\(proxy.port)")
        let manifest = try dc.manifest(hosts: hosts, directory: viaProxy)
        let audit = temporaryPath("audit") + ".jsonl"
        defer {
            proxy.release()
            try? FileManager.default.removeItem(atPath: manifest)
            try? FileManager.default.removeItem(atPath: audit)
        }
        // kcdctl appends a host's intent (fsync'd) before it sends the host's request: the first chunk it sends
        // once the trail holds the intent for hosts[inFlight] is that request.
        proxy.hold {
            completeAuditRecords(audit).filter { $0["result"] as? String == "intent" }.count > inFlight
        }
        let apply = try StartedFromAShell(
            ["apply", "-f", manifest, "--auto-approve", "--timeout", "60", "--audit-log", audit])
        let pid = apply.pid
        var deadline = Date().addingTimeInterval(60)
        while proxy.heldBytes == 0 && apply.isRunning && Date() < deadline { usleep(10_000) }
        guard proxy.heldBytes > 0 else {
            proxy.release()
            let r = apply.wait()
            Issue.record("kcdctl's request for \(hosts[inFlight]) was never held: \(r.status) \(r.stderr)")
            return
        }
        #expect(completeAuditRecords(audit).last?["host"] as? String == hosts[inFlight])
        #expect(kill(pid, signal) == 0)
        // kcdctl takes the signal while its request is still held: it is no longer pending once kcdctl's signal
        // source has read it, and its handler (on a dispatch queue) has half a second more to note it.
        deadline = Date().addingTimeInterval(10)
        while apply.isRunning && isPending(signal, in: pid) && Date() < deadline { usleep(5_000) }
        #expect(!isPending(signal, in: pid), "kcdctl did not take the signal")
        usleep(500_000)
        #expect(apply.isRunning, "kcdctl ended at once, its request for \(hosts[inFlight]) unanswered")
        #expect(proxy.heldBytes > 0)
        proxy.release()
        let r = apply.wait()

        // It ends as the signal says, after the host in flight: the hosts before it and it are applied, the rest
        // are not attempted.
        #expect(r.status == 128 + signal, "\(r.stderr)")
        let why = signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"
        #expect(r.stderr.contains("kcdctl: \(why): stopped after the host in flight\n"), "\(r.stderr)")
        func summary(_ label: String) -> [String]? {
            let prefix = "  \(label): "
            guard let line = r.stderr.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
            let names = line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            return names == "none" ? [] : names.components(separatedBy: ", ")
        }
        let applied = try #require(summary("applied"), "\(r.stderr)")
        let notAttempted = try #require(summary("not attempted"), "\(r.stderr)")
        #expect(!notAttempted.isEmpty)
        #expect(applied == Array(hosts[...inFlight]) && notAttempted == Array(hosts[(inFlight + 1)...]), "\(r.stderr)")
        #expect(!r.stderr.contains("failed:") && !r.stderr.contains("unknown:") && !r.stderr.contains("error:"))
        let printed = r.stdout.split(separator: "\n").compactMap { line in
            hosts.first { line.hasPrefix("\($0): applied (") }
        }
        #expect(printed == applied, "\(r.stdout)")
        #expect(!r.stdout.contains("Converged"))

        // The audit trail: every intent has exactly one outcome, every host said applied has its applied record,
        // and nothing is recorded for a host not attempted.
        let records = try auditRecords(audit).map { ($0["host"] as? String ?? "", $0["result"] as? String ?? "") }
        let intents = records.filter { $0.1 == "intent" }.map(\.0)
        #expect(intents == applied)
        for host in intents {
            #expect(records.filter { $0.0 == host && $0.1 != "intent" }.count == 1, "\(host): \(records)")
        }
        for host in applied { #expect(records.contains { $0 == (host, "applied") }, "\(host): \(records)") }
        #expect(records.allSatisfy { !notAttempted.contains($0.0) }, "\(records)")
        #expect(records.map { "\($0.1) \($0.0)" } == applied.flatMap { ["intent \($0)", "applied \($0)"] })

        // AD holds exactly the applied hosts' changes.
        let after = try dc.read(hosts)
        for host in applied {
            #expect(
                lowered(after[host]?.allowedToDelegateTo ?? [])
                    == expectedTargets(of: host, peers: hosts, domain: dc.domain), "\(host)")
            #expect(after[host]?.userAccountControl.contains(.trustedToAuthForDelegation) == true, "\(host)")
            #expect(before[host]?.userAccountControl.contains(.trustedToAuthForDelegation) == false, "\(host)")
        }
        for host in notAttempted { #expect(after[host] == before[host], "\(host) was written") }
    }
}
