import Foundation
import Testing

/// Against two replicating Samba AD DCs in a network namespace (Tests/dc/multi-dc-up.sh, `make test-multidc`):
/// discovery by DNS SRV, failover, writable-DC choice. Skipped, loudly, when that lab is not up.
@Suite struct MultiDCLabPresence {
    @Test func theLabIsNamedWhenTheSuiteRuns() {
        if MultiDCLab.folder == nil {
            FileHandle.standardError.write(
                Data("!! KCDCTL_MULTIDC_DIR unset: the multi-DC tests are SKIPPED (make test-multidc runs them)\n".utf8)
            )
        }
    }
}

/// One lab for the whole run, whose state (a DC stopped, SRV priorities swapped) some tests change: one test at
/// a time, each putting back what it changed.
@Suite(.serialized, .enabled(if: MultiDCLab.isUp, "KCDCTL_MULTIDC_DIR unset: no multi-DC lab"))
struct MultiDC {
    let lab: MultiDCLab

    init() throws { lab = try MultiDCLab.load() }

    // MARK: The harness itself

    /// A value written on one DC is read on the other within seconds, both ways (dreplsrv:periodic_interval 5 s).
    @Test func replicationReachesTheOtherDCWithinSeconds() throws {
        let names = MultiDCLab.names("r")
        try lab.addComputers(names, on: lab.dc1)
        let created = try lab.waitFor(seconds: 60) { try lab.values("dNSHostName", of: names[0], on: lab.dc2) != nil }
        #expect(created != nil, "\(names[0]) created on \(lab.dc1), not on \(lab.dc2) after 60 s")
        for (from, to) in [(lab.dc1, lab.dc2), (lab.dc2, lab.dc1)] {
            let value = "written on \(from) \(UUID().uuidString.prefix(8))"
            let r = try lab.ldap(
                "ldapmodify", from, [],
                input: "dn: \(lab.dn(names[0]))\nchangetype: modify\nreplace: description\ndescription: \(value)\n")
            #expect(r.status == 0, "\(r.stderr)")
            let took = try lab.waitFor(seconds: 30) { try lab.values("description", of: names[0], on: to) == [value] }
            #expect(took != nil, "written on \(from), not on \(to) after 30 s")
            if let took {
                FileHandle.standardError.write(
                    Data("multi-DC lab: \(from) -> \(to) in \(String(format: "%.1f", took)) s\n".utf8))
            }
        }
    }

    /// Each DC's LDAPS certificate names that DC and is verified with the lab's CA (what kcdctl relies on).
    @Test func eachDCAnswersLDAPSWithACertificateOfItsName() throws {
        for dc in [lab.dc1, lab.dc2] {
            let r = try lab.ldap("ldapsearch", dc, ["-LLL", "-s", "base", "-b", "", "dnsHostName"])
            #expect(r.status == 0, "\(dc): \(r.stderr)")
            #expect(r.stdout.lowercased().contains("dnshostname: \(dc)"), "\(r.stdout)")
        }
    }

    // MARK: Discovery

    /// directory.domain alone: the SRV record's priority-0 DC (mdc1), said to be found by DNS SRV; the base DN
    /// from its rootDSE (the account is found under it).
    @Test func discoveryChoosesThePriorityZeroDCAndReadsTheBaseDN() throws {
        let names = MultiDCLab.names("a", "b")
        try lab.addComputers(names, on: lab.dc1)
        let manifest = try lab.manifest(hosts: names)

        let who = try lab.kcdctl("whoami", "-f", manifest)
        #expect(who.status == 0, "\(who.stderr)")
        #expect(who.stdout.contains("Domain controller: \(lab.dc1)"), "\(who.stdout)")
        #expect(who.stdout.contains("DNS SRV \(lab.srvRecord)"), "\(who.stdout)")
        #expect(!who.stdout.contains("tried "), "\(who.stdout)")
        #expect(who.stdout.contains("CN=svc-kcd,CN=Users,\(lab.baseDN)"), "the base DN from the rootDSE: \(who.stdout)")

        let plan = try lab.kcdctl("plan", "-f", manifest, "--verbose")
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains(lab.dc1), "\(plan.stderr)")
        #expect(plan.stderr.contains("DNS SRV \(lab.srvRecord)"), "\(plan.stderr)")
        // Both hosts were found under the base DN read from the rootDSE: each gets its delegation.
        for name in names { #expect(plan.stdout.contains(name), "\(plan.stdout)") }
        #expect(!plan.stdout.contains("not found"), "\(plan.stdout)")
    }

    /// The SRV priorities swapped: mdc2 is chosen for reads.
    @Test func swappedPrioritiesChooseTheOtherDC() throws {
        let names = MultiDCLab.names("a", "b")
        try lab.addComputers(names, on: lab.dc1)
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names)
        try lab.srv("swapped")
        defer { try? lab.srv("default") }

        let who = try lab.kcdctl("whoami", "-f", manifest)
        #expect(who.status == 0, "\(who.stderr)")
        #expect(who.stdout.contains("Domain controller: \(lab.dc2)"), "\(who.stdout)")
        #expect(!who.stdout.contains("tried "), "\(who.stdout)")

        let plan = try lab.kcdctl("plan", "-f", manifest, "--verbose")
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains(lab.dc2), "\(plan.stderr)")
    }

    /// directory.site: that site's SRV records come first (the Branch site names mdc2 only).
    @Test func aSitesDCsComeFirst() throws {
        let manifest = try lab.manifest(hosts: MultiDCLab.names("a"), site: lab.branchSite)
        let who = try lab.kcdctl("whoami", "-f", manifest)
        #expect(who.status == 0, "\(who.stderr)")
        #expect(who.stdout.contains("Domain controller: \(lab.dc2)"), "\(who.stdout)")
        #expect(
            who.stdout.contains("DNS SRV _ldap._tcp.\(lab.branchSite)._sites.dc._msdcs.\(lab.domain)"), "\(who.stdout)")
    }

    // MARK: Failover

    /// mdc1 down: plan works through mdc2; whoami and --verbose name mdc1 as tried, with its reason.
    @Test func theFirstDCDownFailsOverToTheSecond() throws {
        let names = MultiDCLab.names("a", "b")
        try lab.addComputers(names, on: lab.dc1)
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names)
        try lab.stop(lab.dc1)
        defer { try? lab.start(lab.dc1) }

        let who = try lab.kcdctl("whoami", "-f", manifest)
        #expect(who.status == 0, "\(who.stderr)")
        #expect(who.stdout.contains("Domain controller: \(lab.dc2)"), "\(who.stdout)")
        let tried = who.stdout.split(separator: "\n").first { $0.hasPrefix("tried \(lab.dc1): ") }
        #expect(tried != nil, "\(who.stdout)")
        #expect((tried?.count ?? 0) > "tried \(lab.dc1): ".count, "a reason: \(who.stdout)")

        let plan = try lab.kcdctl("plan", "-f", manifest, "--verbose")
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains(lab.dc1), "mdc1 named as tried: \(plan.stderr)")
        #expect(plan.stderr.contains(lab.dc2), "\(plan.stderr)")
        for name in names { #expect(plan.stdout.contains(name), "\(plan.stdout)") }
    }

    /// Both DCs down: exit 1, and the error names both DCs and why each failed.
    @Test func noDCReachableListsEveryDCTried() throws {
        let manifest = try lab.manifest(hosts: MultiDCLab.names("a"))
        try lab.stop(lab.dc1)
        defer { try? lab.start(lab.dc1) }
        try lab.stop(lab.dc2)
        defer { try? lab.start(lab.dc2) }

        let plan = try lab.kcdctl("plan", "-f", manifest, "--timeout", "5")
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        let error = plan.stderr.split(separator: "\n").first { $0.hasPrefix("kcdctl: error: ") }.map(String.init) ?? ""
        #expect(error.hasPrefix("kcdctl: error: no domain controller could be reached: \(lab.dc1): "), "\(plan.stderr)")
        #expect(error.contains("; \(lab.dc2): "), "\(plan.stderr)")
        let reasons = error.components(separatedBy: "\(lab.dc2): ").last ?? ""
        #expect(!reasons.trimmingCharacters(in: .whitespaces).isEmpty, "a reason for \(lab.dc2): \(error)")
    }

    // MARK: Writes

    /// mdc2 preferred for reads: apply says which writable DC it writes to before the host lines, and the
    /// change is then on both DCs (replication), as ldapsearch on each and a plan through each show.
    /// Import through discovery: a manifest with directory.domain alone; the written manifest connects the same way
    /// (no uri, no baseDN) and plans no changes.
    @Test func importThroughDiscoveryWritesAManifestThatDiscoversToo() throws {
        let names = MultiDCLab.names("a", "b")
        try lab.addComputers(names, on: lab.dc1)
        let manifest = try lab.manifest(hosts: names)
        let out = manifest + ".imported.yaml"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let apply = try lab.kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")

        let imported = try lab.kcdctl("import", "-f", manifest, "--hosts", names.joined(separator: ","), "--out", out)
        #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
        let yaml = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!yaml.contains("uri:") && !yaml.contains("baseDN:"), "\(yaml)")
        #expect(yaml.contains(lab.domain), "\(yaml)")
        let plan = try lab.kcdctl("plan", "-f", out, "--detailed-exitcode")
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
    }

    @Test func applyWritesToAWritableDCAndTheChangeReachesBoth() throws {
        let names = MultiDCLab.names("a", "b")
        try lab.addComputers(names, on: lab.dc1)
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names)
        try lab.srv("swapped")
        defer { try? lab.srv("default") }

        let apply = try lab.kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        let lines = apply.stdout.split(separator: "\n").map(String.init)
        let writing = lines.firstIndex { $0.hasPrefix("Writing to ") && $0.hasSuffix(" (writable).") }
        #expect(writing != nil, "\(apply.stdout)")
        let written = writing.map { lines[$0].dropFirst("Writing to ".count).dropLast(" (writable).".count) }
        #expect(written.map { [lab.dc1, lab.dc2].contains(String($0)) } == true, "\(apply.stdout)")
        let firstHost = lines.firstIndex { line in names.contains { line.hasPrefix($0 + ": ") } }
        #expect(firstHost != nil, "\(apply.stdout)")
        if let writing, let firstHost { #expect(writing < firstHost, "\(apply.stdout)") }

        // On the DC written at once; on the other after replication.
        var held: [String: [String]] = [:]
        for dc in [lab.dc1, lab.dc2] {
            let took = try lab.waitFor(seconds: 30) {
                let values = try lab.values("msDS-AllowedToDelegateTo", of: names[0], on: dc) ?? []
                held[dc] = values
                return values.contains { $0.hasSuffix("/" + names[1]) }
            }
            #expect(took != nil, "\(names[0])'s delegation not on \(dc) after 30 s: \(held[dc] ?? [])")
        }
        #expect(held[lab.dc1] == held[lab.dc2], "the DCs disagree: \(held)")

        // Each DC, named by --uri, holds what the manifest says: nothing left to do.
        for dc in [lab.dc1, lab.dc2] {
            let plan = try lab.kcdctl("plan", "-f", manifest, "--uri", "ldaps://\(dc)", "--detailed-exitcode")
            #expect(plan.status == 0, "through \(dc): \(plan.stdout)\(plan.stderr)")
        }
    }
}
