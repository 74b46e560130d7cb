import Foundation
import KCDLDAP
import Testing

@testable import KCDCore

/// Issue 9 against the Samba AD DC: what an attacker who can edit files, or a DC that misbehaves, can make
/// kcdctl write. Each test names the finding it is the regression test for.
@Suite(
    "Never write what the manifest does not declare (Samba AD DC)",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct NeverWriteWhatWasNotDeclared {
    let dc = TestDC.shared!

    /// A saved plan for `hosts`, its file, and the document as kcdctl wrote it.
    func savedPlan(_ hosts: [String], extra: [String] = []) throws -> (
        manifest: String, file: String, document: PlanDocument
    ) {
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let file = temporaryPath("plan") + ".json"
        let r = try startKcdctl(["plan", "-f", manifest, "--out", file] + extra).wait()
        try #require(r.status == 0, "\(r.stderr)")
        return (manifest, file, try PlanDocument.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file)))))
    }

    /// What an attacker who knows the checksum scheme does: edit, then recompute the sha256.
    func reseal(_ document: PlanDocument, to file: String) throws {
        var document = document
        document.sha256 = PlanDocument.checksum(of: document)
        try document.encoded().write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// Finding 1: an edited and resealed plan wrote ldap/<DC>, krbtgt/, cifs/<DC>, the unconstrained bit and
    /// cleared ACCOUNTDISABLE on a computer the manifest does not name, and apply said "Converged".
    @Test(arguments: [
        "extra host", "ldap/<DC>", "krbtgt/", "cifs/<DC>", "unconstrained bit", "clear ACCOUNTDISABLE", "another DN",
    ])
    func anEditedAndResealedPlanIsRefusedBeforeAnyWrite(edit: String) throws {
        let hosts = TestDC.names("a", "b")
        let victim = TestDC.names("v")[0]
        try dc.addComputers([victim])
        try dc.setUserAccountControl(victim, [.workstationTrustAccount, .accountDisable])
        let (manifest, file, original) = try savedPlan(hosts)
        let dcName = try #require(
            try dc.directory().connection.search(
                base: dc.baseDN, scope: .subtree,
                filter: "(&(objectClass=computer)(userAccountControl:1.2.840.113556.1.4.803:=8192))",
                attributes: ["sAMAccountName"]
            ).first?["sAMAccountName"].first
        ).dropLast()
        let dcFQDN = "\(dcName.lowercased()).\(dc.domain)"
        var document = original
        let real = document.changes[0]
        switch edit {
        case "extra host":
            var change = real
            change.host = victim
            change.dn = dc.dn(victim)
            change.observed.userAccountControl = Int(
                UserAccountControl([.workstationTrustAccount, .accountDisable]).rawValue)
            change.observed.allowedToDelegateTo = []
            change.add = ["cifs/\(dcFQDN)"]
            change.userAccountControl = .init(
                from: change.observed.userAccountControl, to: 0x80000 | 0x1000, fromFlags: [], toFlags: [],
                setFlags: [], clearedFlags: [])
            document.changes.append(change)
        case "ldap/<DC>": document.changes[0].add.append("ldap/\(dcFQDN)")
        case "krbtgt/": document.changes[0].add.append("krbtgt/\(dc.domain.uppercased())")
        case "cifs/<DC>": document.changes[0].add.append("cifs/\(dcName)")
        case "unconstrained bit": document.changes[0].userAccountControl?.to |= 0x80000
        case "clear ACCOUNTDISABLE":
            // The manifest's own host, disabled: the plan would enable it.
            document.changes[0].userAccountControl?.to &= ~0x2
            document.changes[0].userAccountControl?.from |= 0x2
            document.changes[0].observed.userAccountControl |= 0x2
            try dc.setUserAccountControl(hosts[0], [.workstationTrustAccount, .accountDisable])
        default: document.changes[0].dn = dc.dn(victim)
        }
        try reseal(document, to: file)
        let watched = hosts + [victim, String(dcName)]
        let before = try dc.read(watched).mapValues(\.usnChanged)
        let audit = temporaryPath("audit") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: audit) }

        for extra in [[], ["-f", manifest]] {
            let r = try startKcdctl(["apply", file, "--auto-approve", "--audit-log", audit] + extra).wait()
            #expect(r.status == 1, "\(edit) \(extra): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.hasPrefix("kcdctl: error: refusing the plan: "), "\(edit): \(r.stderr)")
            #expect(r.stderr.contains("; nothing was written\n"))
            #expect(!r.stdout.contains("Converged"))
        }
        #expect(try dc.read(watched).mapValues(\.usnChanged) == before, "\(edit): nothing was written to any object")
        #expect(try auditRecords(audit).allSatisfy { $0["result"] as? String == "refused" })
        #expect(try kcdctl("drift", "-f", manifest).status == 2, "AD still differs from the manifest, as drift says")
    }

    /// Finding 1, the rest of the threat: an attacker who can also rewrite the manifest inside the plan is
    /// stopped by -f (the reviewed manifest) and by a signature.
    @Test func aPlanWithARewrittenManifestIsStoppedByDashFAndBySignatures() throws {
        let hosts = TestDC.names("a", "b")
        let folder = temporaryPath("keys")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = folder + "/plan.key"
        let keygen = try kcdctl("keygen", "--out", key)
        #expect(keygen.status == 0 && keygen.stdout.contains("(SHA256:"), "\(keygen.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        #expect(try kcdctl("keygen", "--out", key).stderr == "kcdctl: error: \(key) exists: not overwriting a key\n")

        let (manifest, file, document) = try savedPlan(hosts, extra: ["--sign-key", key])
        #expect(document.signature?.algorithm == "ed25519")
        // The attacker adds a host to the manifest inside the plan and a change for it, and reseals.
        let victim = TestDC.names("v")[0]
        try dc.addComputers([victim])
        var forged = document
        forged.manifest.content = document.manifest.content.replacingOccurrences(
            of: "hosts: [\(hosts.joined(separator: ", "))]",
            with: "hosts: [\(hosts.joined(separator: ", ")), \(victim)]")
        forged.manifest.sha256 = Digest.sha256(forged.manifest.content)
        var change = forged.changes[0]
        change.host = victim
        change.dn = dc.dn(victim)
        change.observed.allowedToDelegateTo = []
        change.add = ["cifs/\(hosts[0])"]
        forged.changes.append(change)
        let forgedFile = temporaryPath("forged") + ".json"
        defer { try? FileManager.default.removeItem(atPath: forgedFile) }
        try reseal(forged, to: forgedFile)
        let before = try dc.read(hosts + [victim]).mapValues(\.usnChanged)

        let withManifest = try kcdctl("apply", forgedFile, "--auto-approve", "-f", manifest)
        #expect(
            withManifest.status == 1 && withManifest.stderr.contains("is not the manifest the plan was made from"),
            "\(withManifest.stderr)")
        let withKey = try kcdctl("apply", forgedFile, "--auto-approve", "--verify-key", key + ".pub")
        #expect(withKey.status == 1 && withKey.stderr.contains("does not verify with key SHA256:"), "\(withKey.stderr)")
        #expect(try dc.read(hosts + [victim]).mapValues(\.usnChanged) == before)

        // A manifest that requires signatures: unsigned plans and plain `apply -f` are refused; the signed one applies.
        let strict = try dc.manifest(hosts: hosts, more: "").replacingOccurrences(of: ".yaml", with: "-strict.yaml")
        try (try String(contentsOfFile: manifest, encoding: .utf8) + "plans: { verifyKey: \(key).pub }\n").write(
            toFile: strict, atomically: true, encoding: .utf8)
        let direct = try kcdctl("apply", "-f", strict, "--auto-approve")
        #expect(direct.status == 1 && direct.stderr.contains("apply takes only signed saved plans"), "\(direct.stderr)")
        let strictPlan = temporaryPath("strict") + ".json"
        defer { try? FileManager.default.removeItem(atPath: strictPlan) }
        #expect(try kcdctl("plan", "-f", strict, "--out", strictPlan).status == 0)
        let unsigned = try kcdctl("apply", strictPlan, "--auto-approve", "-f", strict)
        #expect(unsigned.status == 1 && unsigned.stderr.contains("the plan is not signed"), "\(unsigned.stderr)")
        #expect(try kcdctl("plan", "-f", strict, "--out", strictPlan, "--sign-key", key).status == 0)
        let signed = try kcdctl("apply", strictPlan, "--auto-approve", "-f", strict)
        #expect(signed.status == 0 && signed.stdout.contains("Converged"), "\(signed.stderr)")
        _ = file

        // show --plan shows the manifest the plan was made from, and who signed it, without a directory.
        let shown = try kcdctl("show", "--plan", strictPlan)
        #expect(
            shown.status == 0 && shown.stdout.contains("signed by SHA256:")
                && shown.stdout.contains("  | plans: { verifyKey: \(key).pub }"))
    }

    /// Findings 2 and 3: a NUL or a line break in a value never reaches the DC; every byte the rules allow
    /// round-trips exactly.
    @Test func everyAllowedByteRoundTripsAndNoControlCharacterIsAccepted() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        for (line, message) in [
            (#"extraTargets: ["http/a\0BBBB"]"#, #"'http/a\x00BBBB' has a control character"#),
            (#"services: ["cifs\nhttp"]"#, #"'cifs\x0ahttp' has a control character"#),
        ] {
            let r = try kcdctl("validate", "-f", try dc.manifest(hosts: hosts, more: "    \(line)"))
            #expect(
                r.status == 1 && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)"
            )
        }
        let printable = String((0x21...0x7E).map { Character(Unicode.Scalar($0)) })
        let values = [
            "http/" + printable, "Microsoft SQL Server Analysis/" + printable.replacingOccurrences(of: "/", with: ""),
        ]
        let yaml = values.map {
            "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let manifest = try dc.manifest(hosts: hosts, more: "    extraTargets: [\(yaml.joined(separator: ", "))]")
        let r = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(r.status == 0, "\(r.stderr)")
        let stored = try #require(try dc.read([hosts[0]])[hosts[0]]).allowedToDelegateTo
        for value in values { #expect(stored.contains(value), "stored exactly: \(value)") }
        #expect(try kcdctl("plan", "-f", manifest, "--detailed-exitcode").status == 0, "converged: read back equal")
    }

    /// `kcdctl apply` through a proxy, run in-process (`InProcessApply`) and paused after `pauseAfter` hosts;
    /// `fault` then acts on the proxy, or on the signals apply watches.
    func applyThroughProxy(
        _ hosts: [String], pauseAfter: Int, timeout: Int, audit: String,
        during fault: (Proxy, InProcessApply.Signals) -> Void
    ) throws -> RunResult {
        let proxy = try Proxy(to: 636)
        let viaProxy = try dc.manifest(
            hosts: hosts,
            directory: dc.simpleDirectory.replacingOccurrences(
                of: dc.uri, with: "ldaps://\(LDAPConnection.host(of: dc.uri)):\(proxy.port)"))
        let apply = InProcessApply(dc: dc, manifest: viaProxy, timeout: Double(timeout), audit: audit)
        var reached = false
        let (result, _) = apply.run(pauseAfter: pauseAfter) { signals in
            reached = true
            fault(proxy, signals)
        }
        try #require(reached, "apply never reached host \(pauseAfter): \(result.stderr)")
        return result
    }

    /// Finding 4: the DC applied a modify but its answer was lost; kcdctl said "failed: HOST (nothing written
    /// to it)" while AD held the change. Now the host is read back over a new connection and reported as
    /// what AD holds; apply then goes on.
    @Test func aLostAnswerIsReadBackAndTheRealOutcomeReported() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let audit = temporaryPath("audit") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let r = try applyThroughProxy(hosts, pauseAfter: 1, timeout: 2, audit: audit) { proxy, _ in
            proxy.loseReplies(refuseNew: false)
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains(
                "\(hosts[1]): applied (8 added, userAccountControl 0x1000 -> 0x1001000; the DC's answer was lost, a re-read shows the change in place)"
            ), "\(r.stdout)")
        #expect(r.stdout.contains("Converged"))
        #expect(!r.stderr.contains("nothing written"))
        let records = try auditRecords(audit).filter { $0["host"] as? String == hosts[1] }
        #expect(records.map { $0["result"] as? String } == ["intent", "applied"])
        #expect((records.last?["message"] as? String)?.contains("answer was lost") == true)
    }

    /// Finding 4, when no new connection can be made: the outcome is unknown, said and audited as such, and
    /// indeed AD holds the change.
    @Test func aLostAnswerWithoutAWayBackIsUnknownNotNothingWritten() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let audit = temporaryPath("audit") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let r = try applyThroughProxy(hosts, pauseAfter: 1, timeout: 2, audit: audit) { proxy, _ in
            proxy.loseReplies(refuseNew: true)
        }
        #expect(r.status == 1)
        #expect(r.stderr.contains("kcdctl: error: \(hosts[1]): outcome unknown: "), "\(r.stderr)")
        #expect(r.stderr.contains("  unknown:       \(hosts[1]) (the DC may have applied it: run kcdctl plan to see)"))
        #expect(r.stderr.contains("  not attempted: \(hosts[2])"))
        #expect(!r.stderr.contains("nothing written"))
        #expect(
            try auditRecords(audit).filter { $0["host"] as? String == hosts[1] }.map { $0["result"] as? String } == [
                "intent", "unknown",
            ])
        let now = try #require(try dc.read([hosts[1]])[hosts[1]])
        #expect(now.allowedToDelegateTo.count == 8, "the DC did apply it: 'unknown' was the honest answer")
    }

    /// Finding 5: SIGINT/SIGTERM mid-apply ended kcdctl at once, with no summary and the audit trail one host
    /// short. Now the host in flight finishes, is audited, the summary is printed, and the exit says which signal.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalMidApplyFinishesTheHostInFlightAndSaysSo(signal: Int32) throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let audit = temporaryPath("audit") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let r = try applyThroughProxy(hosts, pauseAfter: 1, timeout: 5, audit: audit) { _, signals in
            signals.received = signal
        }
        #expect(r.status == 128 + signal, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                signal == SIGINT
                    ? "kcdctl: interrupted (SIGINT): stopped after the host in flight" : "kcdctl: terminated (SIGTERM)"),
            "\(r.stderr)")
        #expect(
            r.stderr.contains("  applied:       \(hosts[0])\n")
                && r.stderr.contains("  not attempted: \(hosts[1]), \(hosts[2])"))
        #expect(
            try auditRecords(audit).map { "\($0["result"] as? String ?? "") \($0["host"] as? String ?? "")" } == [
                "intent \(hosts[0])", "applied \(hosts[0])",
            ])
        let after = try dc.read(hosts).mapValues(\.usnChanged)
        #expect(
            after[hosts[1]] == before[hosts[1]] && after[hosts[2]] == before[hosts[2]]
                && after[hosts[0]] != before[hosts[0]])
    }

    /// Finding 6: with the audit log on a full disk every host was written and apply exited 0 with a warning.
    /// A file size limit (EFBIG, as ENOSPC) makes the first append fail: nothing is written.
    @Test func anAuditTrailThatCannotBeWrittenStopsApplyBeforeTheWrite() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let audit = temporaryPath("audit") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        try String(repeating: "{}\n", count: 65_536 / 3 + 1).write(toFile: audit, atomically: true, encoding: .utf8)
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let command =
            "ulimit -f 64; exec '\(try kcdctlBinary())' apply -f '\(manifest)' --auto-approve --audit-log '\(audit)'"
        let r = try run(["bash", "-c", command], removing: ["KCDCTL_BIND_PASSWORD"])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("kcdctl: error: the audit trail could not be written ("), "\(r.stderr)")
        #expect(r.stderr.contains("  not attempted: \(hosts.joined(separator: ", "))"))
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before, "no request was sent")
    }

    /// Findings 9 and 10 at the command line: nothing huge is parsed or sent, nothing from the future applied.
    @Test func hugeInputsAndFuturePlansAreRefusedAtOnce() throws {
        let hosts = TestDC.names("a", "b")
        let huge = temporaryPath("huge") + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: huge) }
        try
            (try String(contentsOfFile: try dc.manifest(hosts: hosts), encoding: .utf8)
            .replacingOccurrences(of: hosts[1], with: String(repeating: "A", count: 8 << 20))).write(
                toFile: huge, atomically: true, encoding: .utf8)
        let clock = ContinuousClock()
        var r = RunResult(status: 0, stdout: "", stderr: "")
        let elapsed = try clock.measure { r = try kcdctl("plan", "-f", huge) }
        #expect(r.status == 1 && r.stderr.contains("is larger than") && r.stderr.count < 300, "\(r.stderr.prefix(300))")
        #expect(elapsed < .seconds(2))

        let (_, file, document) = try savedPlan(hosts)
        var future = document
        future.createdAt = PlanDocument.timestamp(Date().addingTimeInterval(3600))
        try reseal(future, to: file)
        let applied = try kcdctl("apply", file, "--auto-approve")
        #expect(applied.status == 1 && applied.stderr.contains("in the future"), "\(applied.stderr)")
    }

    /// Issue 10: usage errors exited 64 while the help promises 1 for invalid input.
    @Test(arguments: [
        ["plan", "--no-such-option"], ["plan", "-f", "m.yaml", "--format", "yaml"], ["version"],
        ["apply", "--max-age", "soon", "-f", "m.yaml"],
    ])
    func usageErrorsExitOneWithOneMessage(arguments: [String]) throws {
        let r = try startKcdctl(arguments).wait()
        #expect(r.status == 1, "\(arguments): \(r.status)")
        #expect(r.stderr.hasPrefix("Error: "), "\(r.stderr)")
        #expect(try kcdctl("plan", "--help").status == 0)
    }

    /// Issue 10: `kcdctl apply plan.json` asked again (or refused without a terminal), and a staged rollout
    /// (`apply plan.json --target A`, then `apply plan.json`) ended in exit 3 for the host already done.
    @Test func aSavedPlanAppliesWithoutAPromptAndResumesAfterATarget() throws {
        let hosts = TestDC.names("a", "b", "c")
        let (_, file, _) = try savedPlan(hosts)
        let audit = temporaryPath("audit") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let first = try kcdctl("apply", file, "--target", hosts[0])
        #expect(first.status == 0, "no --auto-approve, no terminal: \(first.stderr)")
        #expect(first.stdout.contains("\(hosts[0]): applied"))
        let rest = try kcdctl("apply", file, "--audit-log", audit)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.contains("\(hosts[0]): already applied (it holds the plan's result)"))
        #expect(
            rest.stdout.contains("\(hosts[1]): applied") && rest.stdout.contains("\(hosts[2]): applied")
                && rest.stdout.contains("Converged"))
        #expect(try auditRecords(audit).first?["result"] as? String == "already-applied")
        let onTerminal = try kcdctlOnATerminal(["apply", file], answer: "")
        #expect(!onTerminal.stdout.contains("Only 'yes' is accepted"), "a saved plan is not confirmed again")
    }

    /// Issue 10: an unresolvable DC name was reported as "Can't contact LDAP server", with no word about DNS.
    @Test func aNameThatDoesNotResolveIsSaidToBeADNSProblem() throws {
        let hosts = TestDC.names("a", "b")
        let r = try kcdctl(
            "plan", "-f", try dc.manifest(hosts: hosts), "--uri", "ldaps://no-such-dc.invalid", "--timeout", "5")
        #expect(r.status == 1)
        #expect(r.stderr.contains("the name 'no-such-dc.invalid' does not resolve (DNS: "), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// Issue 10 (item 3): `kcdctl show PLAN.json` renders a saved plan without the directory, in each format.
    @Test func showRendersASavedPlanWithoutTheDirectory() throws {
        let hosts = TestDC.names("a", "b")
        let (manifest, file, _) = try savedPlan(hosts)
        let offline = ["--uri", "ldaps://127.0.0.1:1"]
        let text = try kcdctl("show", file)
        #expect(
            text.status == 0 && text.stdout.contains("Manifest \(manifest) (sha256 ")
                && text.stdout.contains("+ msDS-AllowedToDelegateTo: cifs/\(hosts[1])"), "\(text.stderr)")
        let json = try startKcdctl(["show", file, "--format", "json"] + offline).wait()
        let saved = try String(contentsOfFile: file, encoding: .utf8)
        #expect(json.status == 0 && json.stdout == saved, "the plan as saved")
        let markdown = try kcdctl("show", "--plan", file, "--format", "markdown")
        #expect(
            markdown.status == 0 && markdown.stdout.hasPrefix("### kcdctl plan for `\(dc.uri) (\(dc.baseDN))`")
                && markdown.stdout.contains("| **\(hosts[0])** |"))
        #expect(try kcdctl("show", hosts[0], "--format", "json").status == 1, "--format is for a saved plan")
    }

    /// Issue 10: a missing tls.caFile passed validate and failed only at plan, as "LDAP set option (TLS
    /// context) failed: -1 serverDown".
    @Test func validateChecksTheFilesTheManifestNames() throws {
        let hosts = TestDC.names("a", "b")
        let missing = temporaryPath("nothing") + ".pem"
        let manifest = try dc.manifest(
            hosts: hosts, directory: dc.simpleDirectory.replacingOccurrences(of: dc.caFile, with: missing))
        let r = try kcdctl("validate", "-f", manifest)
        #expect(
            r.status == 1
                && r.stderr
                    == "\(manifest): directory.tls.caFile \(missing) cannot be read: No such file or directory\n",
            "\(r.stderr)")
        #expect(try kcdctl("validate", "-f", manifest, "--no-files").status == 0)
        #expect(try kcdctl("validate", "-f", try dc.manifest(hosts: hosts)).status == 0)
        let plan = try kcdctl("plan", "-f", manifest)
        #expect(
            plan.status == 1 && plan.stderr.contains("directory.tls.caFile") == false && plan.stderr.contains(missing),
            "\(plan.stderr)")
    }

    /// Issue 10: when a host is dropped from the manifest, the plan removed the others' delegation to it but
    /// said nothing about the dropped host keeping its own.
    @Test func aHostDroppedFromTheManifestIsWarnedAbout() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)
        let r = try kcdctl("plan", "-f", try dc.manifest(hosts: Array(hosts.prefix(2))))
        #expect(r.status == 0)
        #expect(
            r.stdout.contains(
                "! \(hosts[2]): not a host of the manifest, but its msDS-AllowedToDelegateTo still names the manifest's hosts (8 of its 8 values)"
            ), "\(r.stdout)")
        #expect(r.stdout.contains("- msDS-AllowedToDelegateTo: cifs/\(hosts[2])"), "the others' delegation to it goes")
    }

    /// Issue 10: a saved plan stored the manifest's path and apply re-read it, so a plan made in a CI checkout
    /// failed elsewhere with "cannot read the manifest". The plan carries the manifest.
    @Test func aSavedPlanAppliesWhereItsManifestIsNot() throws {
        let hosts = TestDC.names("a", "b")
        let (manifest, file, _) = try savedPlan(hosts)
        try FileManager.default.removeItem(atPath: manifest)
        let r = try kcdctl("apply", file)
        #expect(r.status == 0 && r.stdout.contains("Converged"), "\(r.stderr)")
    }
}
