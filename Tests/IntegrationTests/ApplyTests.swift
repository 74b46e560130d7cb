import Foundation
import KCDCore
import KCDLDAP
import Testing

/// What a host must delegate to in a default cluster, written out independently of the expansion code:
/// both services, both name forms (dNSHostName as the test DC sets it), every peer but itself. Lowercased.
func expectedTargets(of host: String, peers: [String], domain: String) -> Set<String> {
    var out = Set<String>()
    for peer in peers where peer != host {
        for service in ["microsoft virtual system migration service", "cifs"] {
            out.insert("\(service)/\(peer.lowercased())")
            out.insert("\(service)/\(peer.lowercased()).\(domain)")
        }
    }
    return out
}

func lowered(_ values: [String]) -> Set<String> { Set(values.map { $0.lowercased() }) }

@Suite("Against the Samba AD DC", .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct ApplyAgainstSamba {
    let dc = TestDC.shared!

    @Test func applyFromCleanMakesExactlyTheDeclaredDelegation() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        let r = try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Converged: re-read 3 hosts; all match the manifest."))
        #expect(r.stdout.contains("klist -li 0x3e7 purge"))
        let after = try dc.read(hosts)
        for host in hosts {
            let c = try #require(after[host])
            #expect(lowered(c.allowedToDelegateTo) == expectedTargets(of: host, peers: hosts, domain: dc.domain))
            #expect(c.userAccountControl == [.workstationTrustAccount, .trustedToAuthForDelegation])
        }
    }

    /// Issue 12: without -f every command reads KCDCTL_MANIFEST, else /etc/kcdctl/kcdctl.yaml (what the Debian
    /// package sets up), and says where it looked when there is none.
    @Test func withoutAFileTheManifestComesFromTheEnvironmentOrTheDefault() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let plan = try kcdctl("plan", "--detailed-exitcode", environment: ["KCDCTL_MANIFEST": manifest])
        #expect(plan.status == 2 && plan.stdout.contains("~ \(hosts[0])"), "\(plan.stderr)")
        let applied = try kcdctl("apply", "--auto-approve", environment: ["KCDCTL_MANIFEST": manifest])
        #expect(applied.status == 0 && applied.stdout.contains("Converged"), "\(applied.stderr)")
        #expect(try kcdctl("drift", "--quiet", environment: ["KCDCTL_MANIFEST": manifest]).status == 0)
        try #require(!FileManager.default.fileExists(atPath: ManifestLocation.defaultPath), "this machine has one")
        for command in ["validate", "plan", "drift", "apply", "whoami", "doctor"] {
            let r = try kcdctl(command, environment: ["KCDCTL_MANIFEST": ""])
            #expect(r.status == 1, "\(command): \(r.stderr)")
            #expect(
                r.stderr == "kcdctl: error: no manifest: none named with -f FILE or KCDCTL_MANIFEST, and "
                    + "/etc/kcdctl/kcdctl.yaml does not exist\n", "\(command)")
        }
    }

    @Test func aSecondApplySendsNoWrite() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        let before = try dc.read(hosts).mapValues(\.usnChanged)

        let r = try kcdctl("apply", "-f", manifest, "--auto-approve", "--verbose")
        #expect(r.status == 0)
        #expect(r.stdout.contains("No changes: 2 hosts match the manifest."))
        #expect(r.stderr.contains("modifies=0"))
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before, "uSNChanged moved: something was written")
    }

    @Test func removingAHostFromTheManifestRemovesItsSPNsFromTheOthers() throws {
        let hosts = TestDC.names("a", "b", "c")
        try dc.addComputers(hosts)
        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)

        let remaining = Array(hosts.prefix(2))
        let plan = try kcdctl("plan", "-f", try dc.manifest(hosts: remaining), "--format", "json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        let changes = try #require(json["changes"] as? [[String: Any]])
        #expect(changes.map { $0["host"] as? String } == remaining)
        #expect(
            changes.allSatisfy { ($0["remove"] as? [String])?.count == 4 && ($0["add"] as? [String])?.isEmpty == true })

        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: remaining), "--auto-approve").status == 0)
        let after = try dc.read(hosts)
        for host in remaining {
            #expect(
                lowered(after[host]!.allowedToDelegateTo)
                    == expectedTargets(of: host, peers: remaining, domain: dc.domain))
        }
        // The host that left the manifest is no longer managed: kcdctl does not touch it.
        #expect(after[hosts[2]]!.allowedToDelegateTo.count == 8)
    }

    @Test func valuesOfOtherServiceClassesSurviveAndPruneNoneKeepsStaleOnes() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        try dc.addValues(hosts[0], ["http/web01.\(dc.domain)", "cifs/OLDHOST"])
        try dc.addValues(hosts[1], ["cifs/OLDHOST"])

        #expect(
            try kcdctl("apply", "-f", try dc.manifest(hosts: hosts, more: "    prune: none"), "--auto-approve").status
                == 0)
        var after = try dc.read(hosts)
        #expect(after[hosts[0]]!.allowedToDelegateTo.contains("http/web01.\(dc.domain)"))
        #expect(after[hosts[0]]!.allowedToDelegateTo.contains("cifs/OLDHOST"), "prune: none only adds")

        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)
        after = try dc.read(hosts)
        #expect(
            after[hosts[0]]!.allowedToDelegateTo.contains("http/web01.\(dc.domain)"),
            "http is not a managed service class")
        #expect(!after[hosts[0]]!.allowedToDelegateTo.contains("cifs/OLDHOST"), "prune: managed removes it")
        #expect(
            lowered(after[hosts[1]]!.allowedToDelegateTo)
                == expectedTargets(of: hosts[1], peers: hosts, domain: dc.domain))
    }

    @Test func mixedCaseValuesAlreadyThereCauseNoChurn() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        // Everything the manifest wants, but spelled in other cases (Samba would even accept duplicates).
        for host in hosts {
            try dc.addValues(host, expectedTargets(of: host, peers: hosts, domain: dc.domain).map { $0.uppercased() })
            try dc.setUserAccountControl(host, [.workstationTrustAccount, .trustedToAuthForDelegation])
        }
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let r = try kcdctl("plan", "-f", try dc.manifest(hosts: hosts), "--detailed-exitcode")
        #expect(r.status == 0, "\(r.stdout)")
        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)
    }

    @Test func aMissingHostAbortsWithNoWriteToAnyone() throws {
        let hosts = TestDC.names("a", "b", "gone", "lost")
        try dc.addComputers(Array(hosts.prefix(2)))
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let r = try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve")
        #expect(r.status == 1)
        #expect(
            r.stderr
                == "kcdctl: error: 2 hosts of the manifest have no computer object in the directory: \(hosts[2]) (cluster c), \(hosts[3]) (cluster c); nothing was changed\n"
        )
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)
    }

    @Test func aFilterInjectionNameIsALiteralName() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let directory = try dc.directory()
        #expect(try directory.computers(named: ["\(hosts[0]))(cn=*"]).isEmpty)
        #expect(try directory.computers(named: ["*"]).isEmpty)
        #expect(try directory.computers(named: ["\(hosts[0])*"]).isEmpty)
        #expect(try directory.computers(named: [hosts[0]]).map(\.name) == [hosts[0]])

        // kcdctl itself never sends such a name: the manifest is refused before any connection.
        let r = try kcdctl("plan", "-f", try dc.manifest(hosts: [hosts[1], "\(hosts[0]))(cn=*"]))
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("'\(hosts[0]))(cn=*' is not a computer name: only letters, digits and '-' are allowed"),
            "\(r.stderr)")
    }

    @Test func unconstrainedDelegationIsRemovedAndEveryOtherBitKept() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let risky: UserAccountControl = [.workstationTrustAccount, .trustedForDelegation, .dontExpirePassword]
        try dc.setUserAccountControl(hosts[0], risky)

        let plan = try kcdctl("plan", "-f", try dc.manifest(hosts: hosts))
        #expect(plan.stdout.contains("- TRUSTED_FOR_DELEGATION  (unconstrained delegation)  SECURITY FIX"))
        #expect(plan.stdout.contains("1 security fix"))
        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)
        #expect(
            try dc.read(hosts)[hosts[0]]!.userAccountControl
                == [.workstationTrustAccount, .dontExpirePassword, .trustedToAuthForDelegation])
    }

    @Test func kerberosOnlyClearsProtocolTransition() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)
        let r = try kcdctl("apply", "-f", try dc.manifest(hosts: hosts, mode: .kerberosOnly), "--auto-approve")
        #expect(r.status == 0)
        #expect(r.stdout.contains("- TRUSTED_TO_AUTH_FOR_DELEGATION"))
        let after = try dc.read(hosts)
        #expect(
            after.values.allSatisfy {
                $0.userAccountControl == .workstationTrustAccount && $0.allowedToDelegateTo.count == 4
            })
    }

    @Test func exitCodesForReviewAndCron() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        #expect(try kcdctl("plan", "-f", manifest).status == 0)
        #expect(try kcdctl("plan", "-f", manifest, "--detailed-exitcode").status == 2)
        let drift = try kcdctl("drift", "-f", manifest)
        #expect(drift.status == 2)
        #expect(drift.stdout.hasPrefix("DRIFT: "))
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        #expect(try kcdctl("plan", "-f", manifest, "--detailed-exitcode").status == 0)
        let inSync = try kcdctl("drift", "-f", manifest)
        #expect(inSync.status == 0)
        #expect(inSync.stdout == "In sync: 2 hosts match \(manifest).\n")

        // Someone adds a value by hand: drift sees it (and would remove it).
        try dc.addValues(hosts[0], ["cifs/ROGUE"])
        let json = try kcdctl("drift", "-f", manifest, "--format", "json")
        #expect(json.status == 2)
        #expect(json.stdout.contains("\"cifs/ROGUE\""))
    }

    @Test func applyWithoutATerminalRefusesAndWritesNothing() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let r = try kcdctl("apply", "-f", try dc.manifest(hosts: hosts))
        #expect(r.status == 1)
        #expect(
            r.stderr
                == "kcdctl: error: no terminal to confirm on: review the change with `kcdctl plan --out PLAN.json` and apply that, or run apply with --auto-approve\n"
        )
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)
    }

    @Test func onATerminalApplyAsksAndOnlyYesWrites() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        let declined = try kcdctlOnATerminal(["apply", "-f", manifest], answer: "y")
        #expect(declined.status == 1)
        #expect(declined.stdout.contains("Only 'yes' is accepted:"))
        #expect(declined.stdout.contains("apply cancelled; nothing was written."))
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)

        let accepted = try kcdctlOnATerminal(["apply", "-f", manifest], answer: "yes")
        #expect(accepted.status == 0, "\(accepted.stdout)")
        #expect(accepted.stdout.contains("Converged"))
    }

    @Test func unregisteredTargetsAreWarnedAboutAndCifsIsFoundThroughHOST() throws {
        let hosts = TestDC.names("a", "b", "fs")
        try dc.addComputers(hosts)
        // The storage server registers only HOST/ in short form: cifs/<short> maps to it, cifs/<fqdn> does not.
        try dc.ldapModify(
            "dn: \(dc.dn(hosts[2]))\nchangetype: modify\nreplace: servicePrincipalName\nservicePrincipalName: HOST/\(hosts[2])\n"
        )
        let r = try kcdctl(
            "plan", "-f", try dc.manifest(hosts: Array(hosts.prefix(2)), more: "    smbStorage: [\(hosts[2])]"))
        #expect(r.status == 0)
        #expect(r.stdout.contains("! cifs/\(hosts[2].lowercased()).\(dc.domain): not registered on \(hosts[2])"))
        #expect(!r.stdout.contains("! cifs/\(hosts[2]):"))
        #expect(r.stdout.contains("+ msDS-AllowedToDelegateTo: cifs/\(hosts[2])\n"))
    }

    @Test func aHostChangedSinceThePlanIsRefusedAndAModifyIsAtomic() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try ManifestLoader.load(path: try dc.manifest(hosts: hosts))
        let directory = try dc.directory()
        let reconciliation = Reconciliation(manifest: manifest, domain: dc.domain, directory: directory)
        let plan = try reconciliation.plan()
        #expect(plan.changes.count == 2)

        // Between plan and apply, someone adds one of the planned values to the first host.
        let first = plan.changes[0]
        try dc.addValues(first.host, [first.add[0].value])
        let report = try reconciliation.apply(plan)
        #expect(report.stale.map(\.change.host) == [first.host])
        #expect(report.stale.first?.difference == "msDS-AllowedToDelegateTo gained \(first.add[0].value)")
        #expect(
            report.applied.isEmpty && report.notAttempted.map(\.host) == [plan.changes[1].host],
            "nothing is written when any host is stale")

        // The directory itself refuses the whole modify when a precondition no longer holds.
        #expect(throws: ChangedMeanwhile.self) { try directory.apply(first) }
        let after = try dc.read(hosts)[first.host]!
        #expect(
            after.allowedToDelegateTo == [first.add[0].value], "none of the other operations of that modify applied")
        #expect(after.userAccountControl == .workstationTrustAccount)

        // A re-run converges.
        #expect(try reconciliation.apply(try reconciliation.plan()).isComplete)
        #expect(try reconciliation.plan().isEmpty)
    }

    @Test func aWrongPasswordIsOneClearLine() throws {
        let hosts = TestDC.names("a")
        try dc.addComputers(hosts)
        let wrong = NSTemporaryDirectory() + "kcdctl-wrong-\(UUID().uuidString)"
        try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: wrong)
        let manifest = try dc.manifest(hosts: hosts)
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(
            of: dc.passwordFile, with: wrong)
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let r = try kcdctl("drift", "-f", manifest)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("kcdctl: error: LDAP simple bind of \(dc.bindDN) failed: 49 invalidCredentials"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!r.stderr.contains("not-the-password"))
    }

    @Test func anUnreachableServerIsOneClearLine() throws {
        let manifest = try dc.manifest(hosts: ["HV01"])
        let r = try kcdctl("plan", "-f", manifest, "--uri", "ldaps://127.0.0.1:1", "--timeout", "5")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("kcdctl: error: LDAP simple bind of \(dc.bindDN) failed: -1 serverDown"))
    }

    @Test func showPrintsWhatTheDelegationTabWouldShow() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        let r = try kcdctl("show", "-f", manifest, hosts[0], "nosuchhost")
        #expect(r.status == 1)
        #expect(
            r.stdout.contains("delegation:         constrained to the services below, use any authentication protocol"))
        #expect(r.stdout.contains("msDS-AllowedToDelegateTo (4):"))
        #expect(r.stderr.contains("nosuchhost: no computer object"))
    }

    @Test func aReaderThatGoesAwayEndsKcdctlQuietly() throws {
        let prefix = TestDC.names("")[0]
        let hosts = (1...20).map { prefix + String(format: "r%02d", $0) }
        try dc.addComputers(hosts)
        // 20 hosts' plan is well over a pipe's 64 KiB, so kcdctl is still writing when `head` leaves.
        let r = try run([
            "bash", "-c",
            "'\(try kcdctlBinary())' plan -f '\(try dc.manifest(hosts: hosts))' | head -1 >/dev/null; echo ${PIPESTATUS[0]}",
        ])
        #expect(r.stdout == "141\n", "exit as by SIGPIPE, not a crash: \(r.stdout) \(r.stderr)")
        #expect(r.stderr.isEmpty)
    }

    @Test func verboseShowsTheLDAPOperationsButNeverThePassword() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let r = try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve", "--verbose")
        #expect(r.status == 0)
        #expect(r.stderr.contains("LDAP simple bind"))
        #expect(r.stderr.contains("LDAP modify"))
        let password = try String(contentsOfFile: dc.passwordFile, encoding: .utf8)
        #expect(!(r.stdout + r.stderr).contains(password))
    }

    /// Samba hands out values in ranges only when asked (it returned 1,600 values whole), so the test asks for
    /// chunks of 100 as AD does past MaxValRange, and the adapter must follow them to the end.
    @Test func rangedValuesAreReadToTheEnd() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let extra = (0..<300).map { "http/app\($0).\(dc.domain)" }
        try dc.addValues(hosts[0], extra)
        let directory = ActiveDirectory(connection: try dc.connect(), baseDN: dc.baseDN, valueRange: 100)
        let found = try directory.computers(named: hosts)
        let first = try #require(found.first { $0.name == hosts[0] })
        #expect(Set(first.allowedToDelegateTo) == Set(extra))
        #expect(found.first { $0.name == hosts[1] }?.allowedToDelegateTo == [])
        #expect(
            directory.computerSearches == 2,
            "the search, then range 100-*, which Samba answers whole (AD would cap it at 1,500)")

        // Planned through ranges, the 300 foreign values stay and nothing is added twice.
        let manifest = try ManifestLoader.load(path: try dc.manifest(hosts: hosts))
        let plan = try Reconciliation(manifest: manifest, domain: dc.domain, directory: directory).plan()
        #expect(plan.changes.first { $0.host == hosts[0] }?.remove == [])
        #expect(plan.changes.first { $0.host == hosts[0] }?.add.count == 4)
    }

    /// 64 hosts: one paged search reads them all (at most ceil(64 / batch) with smaller batches).
    @Test func sixtyFourHostsAreReadInOneSearchPerBatch() throws {
        let hosts = (1...64).map { String(format: "h%02d", $0) }
        let names = TestDC.names(hosts[0]).map { String($0.dropLast(3)) }[0]
        let all = hosts.map { names + $0 }
        try dc.addComputers(all)
        let manifest = try ManifestLoader.load(path: try dc.manifest(hosts: all))
        for batch in [256, 64, 16] {
            let directory = try dc.directory(batchSize: batch)
            _ = try Reconciliation(manifest: manifest, domain: dc.domain, directory: directory).plan()
            #expect(directory.computerSearches == (64 + batch - 1) / batch)
        }

        let directory = try dc.directory()
        let reconciliation = Reconciliation(manifest: manifest, domain: dc.domain, directory: directory)
        let clock = ContinuousClock()
        var plan: KCDCore.Plan!
        let planTime = try clock.measure { plan = try reconciliation.plan() }
        var report: ApplyReport!
        let applyTime = try clock.measure { report = try reconciliation.apply(plan) }
        #expect(report.isComplete && report.applied.count == 64)
        #expect(try reconciliation.plan().isEmpty)
        #expect(directory.connection.counters.modifyRequests == 64)
        print("64 hosts (debug build): plan \(planTime), apply \(applyTime) for \(plan.summary.valuesToAdd) values")
    }
}

@Suite struct TestEnvironment {
    @Test func theDomainControllerIsThereWhenMakeTestStartedIt() {
        if TestDC.required {
            #expect(TestDC.isAvailable, "KCDCTL_REQUIRE_DC=1 but no DC answered: see Tests/dc/dc-up.sh output")
        }
    }
}
