import Foundation
import KCDCore
import KCDLDAP
import Testing

func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "kcdctl-\(name)-\(UUID().uuidString)"
}

/// Audit records as JSON objects.
func auditRecords(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}

@Suite(
    "Saved plans, audit and faults against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct ReviewAndFaults {
    let dc = TestDC.shared!

    @Test func aSavedPlanIsAppliedExactlyAndAudited() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let planFile = temporaryPath("plan") + ".json"
        let audit = temporaryPath("audit") + ".jsonl"
        let plan = try kcdctl("plan", "-f", manifest, "--out", planFile)
        #expect(plan.status == 0)
        #expect(plan.stderr.contains("Saved the plan to \(planFile)"))
        let document = try PlanDocument.decode(Array(try Data(contentsOf: URL(fileURLWithPath: planFile))))
        #expect(document.changes.count == 3 && document.directory.uri == dc.uri && document.manifest.path == manifest)

        let r = try kcdctl("apply", planFile, "--auto-approve", "--audit-log", audit)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Converged"))
        let records = try auditRecords(audit)
        // Each host's intent is on disk before its request is sent, its outcome after the answer.
        #expect(
            records.map { "\($0["result"] as? String ?? "") \($0["host"] as? String ?? "")" }
                == hosts.flatMap { ["intent \($0)", "applied \($0)"] })
        #expect(
            records.allSatisfy {
                $0["planSHA256"] as? String == document.sha256
                    && $0["boundAs"] as? String == dc.bindDN && ($0["operations"] as? [[String: Any]])?.count == 3
            })
        #expect(records.filter { $0["result"] as? String == "applied" }.allSatisfy { $0["code"] as? Int == 0 })
        let password = try String(contentsOfFile: dc.passwordFile, encoding: .utf8)
        #expect(!(try String(contentsOfFile: audit, encoding: .utf8)).contains(password))
        #expect(!(try String(contentsOfFile: planFile, encoding: .utf8)).contains(password))

        // The same plan again: every host already holds its result, so nothing is sent and nothing is stale.
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let again = try kcdctl("apply", planFile, "--auto-approve")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(hosts.allSatisfy { again.stdout.contains("\($0): already applied") })
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)
    }

    @Test(arguments: ["add a value", "remove a value", "flip userAccountControl"])
    func aHostChangedBetweenPlanAndApplyIsRefusedAndNothingIsWritten(change: String) throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        try dc.addValues(hosts[1], ["cifs/\(hosts[0])", "http/keep"])
        let manifest = try dc.manifest(hosts: hosts)
        let planFile = temporaryPath("plan") + ".json"
        let audit = temporaryPath("audit") + ".jsonl"
        #expect(try kcdctl("plan", "-f", manifest, "--out", planFile).status == 0)

        switch change {
        case "add a value": try dc.addValues(hosts[1], ["cifs/SOMEONE"])
        case "remove a value":
            try dc.ldapModify(
                "dn: \(dc.dn(hosts[1]))\nchangetype: modify\ndelete: msDS-AllowedToDelegateTo\nmsDS-AllowedToDelegateTo: http/keep\n"
            )
        default: try dc.setUserAccountControl(hosts[1], [.workstationTrustAccount, .dontExpirePassword])
        }
        let before = try dc.read(hosts)
        let r = try kcdctl("apply", planFile, "--auto-approve", "--audit-log", audit)
        #expect(r.status == 3, "\(r.stderr)")
        let expected =
            switch change {
            case "add a value": "msDS-AllowedToDelegateTo gained cifs/SOMEONE"
            case "remove a value": "msDS-AllowedToDelegateTo lost http/keep"
            default: "userAccountControl is 0x11000, was 0x1000"
            }
        #expect(
            r.stderr.contains("kcdctl: error: \(hosts[1]) changed since the plan was made: \(expected)"), "\(r.stderr)")
        #expect(r.stderr.contains("  applied:       none"))
        #expect(r.stderr.contains("  stale:         \(hosts[1]) (nothing written to it)"))
        #expect(r.stderr.contains("  not attempted: \(hosts[0])"))
        #expect(r.stderr.contains("Make a new plan"))
        #expect(try dc.read(hosts) == before, "nothing was written")
        #expect(try auditRecords(audit).map { $0["result"] as? String } == ["stale"])
    }

    @Test func brokenPlansAndPlansForElsewhereAreRefusedBeforeAnyWrite() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let planFile = temporaryPath("plan") + ".json"
        #expect(try kcdctl("plan", "-f", manifest, "--out", planFile).status == 0)
        let text = try String(contentsOfFile: planFile, encoding: .utf8)
        let before = try dc.read(hosts).mapValues(\.usnChanged)

        func refused(_ content: String, _ extra: [String] = [], _ message: String) throws {
            let file = temporaryPath("bad") + ".json"
            try content.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try startKcdctl(["apply", file, "--auto-approve"] + extra).wait()
            #expect(r.status == 1)
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        try refused(String(text.prefix(text.count / 3)), [], "not a readable kcdctl plan")
        try refused("", [], "not a readable kcdctl plan")
        try refused(
            text.replacingOccurrences(of: "\"add\" : [\n", with: "\"add\" : [\n        \"cifs/EVIL\",\n"), [],
            "the plan was changed after kcdctl wrote it")
        try refused(
            text, ["--base-dn", "DC=other,DC=test"],
            "the plan is for \(dc.uri) (\(dc.baseDN)), not \(dc.uri) (DC=other,DC=test); nothing was written")
        try refused(text, ["--max-age", "0s"], "more than --max-age (0 s): make a new plan")
        let other = try dc.manifest(hosts: hosts, more: "    prune: none")
        try refused(text, ["-f", other], "\(other) is not the manifest the plan was made from")
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)
    }

    /// `kcdctl apply` through a proxy in front of the DC, run in-process (`InProcessApply`) and paused after
    /// `hosts` hosts; `fault` then breaks the proxy, the apply goes on, and its result comes back with how long it
    /// took after the fault.
    func applyWithFault(_ manifestHosts: [String], pauseAfter hosts: Int, timeout: Int, fault: (Proxy) -> Void) throws
        -> (RunResult, Duration)
    {
        let proxy = try Proxy(to: 636)
        let host = LDAPConnection.host(of: dc.uri)
        let viaProxy = try dc.manifest(
            hosts: manifestHosts,
            directory: dc.simpleDirectory.replacingOccurrences(of: dc.uri, with: "ldaps://\(host):\(proxy.port)"))
        var reached = false
        let (result, elapsed) = InProcessApply(dc: dc, manifest: viaProxy, timeout: Double(timeout), audit: nil)
            .run(pauseAfter: hosts) { _ in
                reached = true
                fault(proxy)
            }
        try #require(reached, "apply never reached host \(hosts): \(result.stderr)")
        return (result, elapsed)
    }

    @Test func theDCDyingMidApplyLosesNothingAndARerunConverges() throws {
        let hosts = TestDC.names("a", "b", "c", "d", "e", "f")
        try dc.addComputers(hosts)
        for host in hosts { try dc.addValues(host, ["http/foreign.\(dc.domain)", "cifs/RETIRED"]) }
        let (r, elapsed) = try applyWithFault(hosts, pauseAfter: 2, timeout: 5) { $0.stop() }
        #expect(elapsed < .seconds(5), "the failure took longer than --timeout")
        #expect(r.status == 1)
        // The request for the third host may or may not have reached the DC before it died: kcdctl cannot know,
        // cannot read it back (the DC is gone) and says so, instead of "nothing written".
        #expect(r.stderr.contains("kcdctl: error: \(hosts[2]): outcome unknown: LDAP modify"), "\(r.stderr)")
        #expect(r.stderr.contains("reading it back failed: "))
        #expect(r.stderr.contains("  applied:       \(hosts[0]), \(hosts[1])"))
        #expect(r.stderr.contains("  unknown:       \(hosts[2]) (the DC may have applied it: run kcdctl plan to see)"))
        #expect(!r.stderr.contains("nothing written"))
        #expect(r.stderr.contains("  not attempted: \(hosts[3...].joined(separator: ", "))"))

        // The DC is back (the real one): a re-run finishes the job; values outside the manifest's classes stay.
        let rerun = try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("\(hosts.count - 2) hosts to change"))
        for (name, computer) in try dc.read(hosts) {
            #expect(
                lowered(computer.allowedToDelegateTo)
                    == expectedTargets(of: name, peers: hosts, domain: dc.domain).union(["http/foreign.\(dc.domain)"]))
        }
    }

    @Test func aDCThatHangsMidApplyEndsWithinTheTimeout() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let (r, elapsed) = try applyWithFault(hosts, pauseAfter: 1, timeout: 2) { $0.freeze() }
        #expect(elapsed < .seconds(6))
        #expect(r.status == 1)
        #expect(r.stderr.contains("failed: -5 timeout (Timed out): no answer within 2.0 s (--timeout)"), "\(r.stderr)")
        #expect(r.stderr.contains("  applied:       \(hosts[0])"))
    }

    @Test func twoAppliesAtOnceBothEndCorrectly() throws {
        let hosts = TestDC.names("a", "b", "c", "d")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let first = try startKcdctl(["apply", "-f", manifest, "--auto-approve"])
        let second = try startKcdctl(["apply", "-f", manifest, "--auto-approve"])
        let results = [first.wait(), second.wait()]
        for r in results {
            #expect(r.status == 0 || r.status == 3, "\(r.stderr)")
            if r.status == 3 { #expect(r.stderr.contains("changed since the plan was made")) }
        }
        let rerun = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(rerun.status == 0)
        for (name, computer) in try dc.read(hosts) {
            #expect(lowered(computer.allowedToDelegateTo) == expectedTargets(of: name, peers: hosts, domain: dc.domain))
            #expect(computer.allowedToDelegateTo.count == 12, "no duplicate values")
        }
    }

    @Test func targetLimitsPlanApplyAndDrift() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let plan = try kcdctl("plan", "-f", manifest, "--target", hosts[1], "--format", "json")
        let changes =
            try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])["changes"]
            as? [[String: Any]]
        #expect(changes?.map { $0["host"] as? String } == [hosts[1]])

        let before = try dc.read(hosts).mapValues(\.usnChanged)
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve", "--target", hosts[1]).status == 0)
        let after = try dc.read(hosts).mapValues(\.usnChanged)
        #expect(
            after[hosts[0]] == before[hosts[0]] && after[hosts[2]] == before[hosts[2]]
                && after[hosts[1]] != before[hosts[1]])
        #expect(try kcdctl("drift", "-f", manifest, "--target", hosts[1]).status == 0)
        #expect(try kcdctl("drift", "-f", manifest).status == 2)
        let unknown = try kcdctl("plan", "-f", manifest, "--target", "NOTAHOST")
        #expect(
            unknown.status == 1 && unknown.stderr == "kcdctl: error: --target NOTAHOST: not a host of the manifest\n")
    }

    @Test func driftForCronIsQuietInSyncAndWritesMetrics() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let metrics = temporaryPath("metrics") + ".prom"
        let drifted = try kcdctl("drift", "-f", manifest, "--quiet", "--metrics-file", metrics)
        #expect(drifted.status == 2 && drifted.stdout.hasPrefix("DRIFT"))
        var text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains("kcdctl_drift_hosts{manifest=\"\(manifest)\"} 2\n"))
        #expect(text.contains("kcdctl_drift_values_missing{manifest=\"\(manifest)\"} 8\n"))
        #expect(text.contains("kcdctl_drift_success{manifest=\"\(manifest)\"} 1\n"))

        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        let quiet = try kcdctl("drift", "-f", manifest, "--quiet", "--metrics-file", metrics)
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty)
        text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains("kcdctl_drift_hosts{manifest=\"\(manifest)\"} 0\n"))

        let failed = try kcdctl(
            "drift", "-f", manifest, "--quiet", "--metrics-file", metrics, "--uri", "ldaps://127.0.0.1:1")
        #expect(failed.status == 1)
        text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(
            text.contains("kcdctl_drift_success{manifest=\"\(manifest)\"} 0\n") && !text.contains("kcdctl_drift_hosts{")
        )
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter {
                $0.contains(".prom.tmp-")
            }.isEmpty)
    }

    @Test func progressAndColorsOnlyOnATerminal() throws {
        let hosts = (1...21).map { String(format: "p%02d", $0) }
        let prefix = TestDC.names("x")[0].dropLast()
        let names = hosts.map { String(prefix) + $0 }
        try dc.addComputers(names)
        let manifest = try dc.manifest(hosts: names)
        let colored = try kcdctlOnATerminal(["plan", "-f", manifest], answer: "")
        #expect(colored.stdout.contains("\u{1B}[32m+ msDS-AllowedToDelegateTo"))
        let noColor = try run([
            "script", "-qec", "NO_COLOR=1 '\(try kcdctlBinary())' plan -f '\(manifest)'", "/dev/null",
        ])
        #expect(!noColor.stdout.contains("\u{1B}[") && noColor.stdout.contains("+ msDS-AllowedToDelegateTo"))

        let piped = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(piped.status == 0 && !piped.stderr.contains("applying:") && !piped.stdout.contains("\u{1B}["))
        // On a terminal (stdout and stderr both go to it): the count of hosts done.
        #expect(try kcdctl("drift", "-f", manifest).status == 0)
        try dc.addValues(names[0], ["cifs/ROGUE"])
        for name in names.dropFirst() { try dc.addValues(name, ["cifs/ROGUE"]) }
        let terminal = try kcdctlOnATerminal(["apply", "-f", manifest, "--auto-approve"], answer: "")
        #expect(terminal.status == 0)
        #expect(terminal.stdout.contains("applying: 21/21 hosts"), "\(terminal.stdout.suffix(300))")
        // Issue 10: the progress line never runs into a host's line ("applying: 4/21 hostsk1a2b3p05: applied").
        #expect(!terminal.stdout.contains("hosts\(prefix)"), "\(terminal.stdout.suffix(600))")
        #expect(terminal.stdout.contains("\r\u{1B}[K\(names[1]): applied"))
    }

    @Test func markdownForAMergeRequest() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let r = try kcdctl("plan", "-f", try dc.manifest(hosts: hosts), "--format", "markdown")
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("### kcdctl plan for `\(dc.uri) (\(dc.baseDN))`\n\n**Plan: 2 hosts to change"))
        #expect(r.stdout.contains("#### Cluster `c` (any-protocol)\n\n| Host | Add | Remove | userAccountControl |"))
        #expect(
            r.stdout.contains("| **\(hosts[0])** | 4 | 0 | `0x1000` → `0x1001000`<br>+TRUSTED_TO_AUTH_FOR_DELEGATION |")
        )
        #expect(
            r.stdout.contains(
                "<details><summary>\(hosts[0]): 4 to add, 0 to remove</summary>\n\n- add `cifs/\(hosts[1])`\n"))
    }
}
