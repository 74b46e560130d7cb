import Foundation
import Testing
import Yams

@testable import KCDCore

// Issue 13 review: `kcdctl import` against a hostile directory. Every byte from the directory is hostile: no
// value or name may make the written manifest declare something other than what import reports, break out of
// a comment, or declare a path to the domain without a SECURITY finding and a comment where it is declared.

@Suite struct ImportAttacks {
    typealias F = ImportFixture

    func run(_ o: ImportObservation) throws -> ImportResult {
        try Importer.run(o, template: F.template, domain: F.domain)
    }

    /// Two hosts that delegate to each other (so they form a cluster) and both hold `extra`.
    func pair(_ extra: [String], dns: (String) -> String? = { F.fqdn($0) }) -> [ObservedComputer] {
        ["HV01", "HV02"].map { n in
            var h = F.host(n, F.values(to: [n == "HV01" ? "HV02" : "HV01"]) + extra)
            h.dnsHostName = dns(n)
            return h
        }
    }

    static let hostile: [String] = [
        "http/q\"uote", "http/back\\slash", "http/a#b", "http/a #b", "http/x: y", "http/x:1 #c", "*alias/x",
        "&anchor/x", "!tag/x", "%dir/x", "@at/x", "`tick/x", "http/line\nbreak", "http/cr\rx", "http/ls\u{2028}x",
        "http/ps\u{2029}x", "http/nel\u{85}x", "http/nul\u{0}x", "http/esc\u{1b}[31mx", "http/del\u{7f}x",
        "http/" + String(repeating: "a", count: 600), "\u{212A}erberos/x", "ｃｉｆｓ/HV02", "cifs/ＨＶ02",
        "cifs/HV0\u{212A}", "http/bom\u{FEFF}x", "http/rtl\u{202E}x", "\"quoted/x\"", "'single/x'", "- dash/x",
        "? q/x", "[flow/x]", "{map/x}", "|block/x", ">fold/x", "http/x\t#tab",
    ]

    /// The YAML import writes is one line per `\n`, printable ASCII only: no byte a YAML reader, an editor or a
    /// terminal could take for a line break or a control.
    func expectPrintableLines(_ yaml: String, _ context: String = "") {
        #expect(yaml.utf8.allSatisfy { ($0 >= 0x20 && $0 <= 0x7E) || $0 == 0x0A }, "\(context)")
    }

    @Test func hostileValuesNeverChangeWhatTheWrittenManifestDeclares() throws {
        let r = try run(ImportObservation(hosts: pair(Self.hostile)))
        let yaml = ImportYAML.render(r)
        expectPrintableLines(yaml)
        let m = try ManifestLoader.parse(yaml, file: "imported.yaml")
        #expect(m.clusters.count == 1)
        let c = try #require(m.clusters.first)
        #expect(c.hosts == ["HV01", "HV02"])
        // Declared: exactly the hostile values that are valid SPNs, spelled as stored.
        let valid = Self.hostile.filter { SPN.problem(with: $0) == nil }
        #expect(Set(c.extraTargets.map(\.value)) == Set(valid))
        #expect(c.extraTargets.map(\.value) == r.manifest.clusters[0].extraTargets.map(\.value))
        #expect(c.extraTargets.allSatisfy { SPN.problem(with: $0.value) == nil })
        // The rest are findings, escaped.
        for value in Self.hostile where SPN.problem(with: value) != nil {
            #expect(!c.extraTargets.contains { $0.value == value })
        }
        // The first plan is the plan of the manifest read back.
        let observed = pair(Self.hostile)
        let replanned = try Reconciler.plan(m, domain: F.domain, observed: observed, spnMappings: F.mappings)
        #expect(replanned.changes == r.firstPlan.changes)
        // Nothing a hostile value holds reaches the JSON or the summary unescaped where it could hurt a terminal.
        // (A value cut short ends in "…", the one character outside ASCII a message may hold.)
        for line in r.summary + r.findings.map({ "\($0.subject) \($0.message)" }) {
            let ascii = line.replacingOccurrences(of: "…", with: "...")
            #expect(ascii.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "\(line)")
        }
        let text = ImportText.render(r, writtenTo: "out.yaml").replacingOccurrences(of: "…", with: "...")
        #expect(text.utf8.allSatisfy { ($0 >= 0x20 && $0 <= 0x7E) || $0 == 0x0A })
    }

    @Test func hostileNamesAreNeverHosts() throws {
        let names = [
            "HV0\u{212A}", "ＨＶ03", "HV\u{2028}04", "HV05\n", "HV\u{0}6", "-HV07", "HV08$", "HV09 ", "a#b", "\"q\"",
            String(repeating: "H", count: 16), "HV\u{85}1", "HV\u{2029}2",
        ]
        var hosts = pair([])
        for name in names {
            // Each hostile host delegates to HV01, and HV01 to it: a reader that took it for a host would cluster it.
            hosts.append(F.host(name, F.values(to: ["HV01"])))
            hosts[0].allowedToDelegateTo += ["cifs/\(name)", "\(F.mvsms)/\(name)"]
        }
        let r = try run(ImportObservation(hosts: hosts))
        let yaml = ImportYAML.render(r)
        expectPrintableLines(yaml)
        let m = try ManifestLoader.parse(yaml, file: "imported.yaml")
        #expect(m.hosts == ["HV01", "HV02"])
        #expect(r.hosts.map(\.name) == ["HV01", "HV02"])
        for name in names { #expect(r.findings.contains { $0.subject == Printable.escape(name) }, "\(name)") }
    }

    @Test func hostileDirectorySettingsFromTheCommandLineStayOnOneLine() throws {
        // --uri and --base-dn come from the command line, not a checked file: they are still written quoted.
        var template = F.template
        template.directory.baseDN = "OU=Zürich #1\u{2028}x: y,DC=corp,DC=example,DC=com"
        let r = try Importer.run(ImportObservation(hosts: pair([])), template: template, domain: F.domain)
        let yaml = ImportYAML.render(r)
        expectPrintableLines(yaml)
        let m = try ManifestLoader.parse(yaml, file: "imported.yaml")
        #expect(m.directory.baseDN == template.directory.baseDN)
    }

    // MARK: - Paths to the domain that only the expansion makes

    static let dc = ObservedComputer(
        name: "DC01", dn: "CN=DC01,OU=Domain Controllers,DC=corp,DC=example,DC=com",
        dnsHostName: "dc01.corp.example.com", userAccountControl: [.serverTrustAccount],
        servicePrincipalNames: ["HOST/DC01", "HOST/dc01.corp.example.com", "ldap/dc01.corp.example.com"])

    /// HV01's dNSHostName is the DC's: a manifest with the fqdn form declared `cifs/dc01…` for every peer of
    /// HV01. Since the expansion ignores a dNSHostName that is not the host's own (`ComputerName.isOwnDNSName`),
    /// the first plan never names the DC; the finding still tells the admin about the attribute.
    @Test func aHostWhoseDNSHostNameIsADomainControllersIsCalledOut() throws {
        let names = ["HV01", "HV02", "HV03"]
        let hosts = names.map { n in
            var h = F.host(n, F.values(to: names.filter { $0 != n }), uac: F.any)
            if n == "HV01" { h.dnsHostName = "DC01.corp.example.com" }
            return h
        }
        let r = try run(ImportObservation(hosts: hosts, domainControllers: [Self.dc]))
        let added = r.firstPlan.changes.flatMap(\.add).map(\.key)
        #expect(!added.contains("cifs/dc01.corp.example.com"), "the expansion never names the DC")
        let security = r.findings.filter { $0.severity == .security }
        #expect(
            security.contains { $0.subject == "HV01" && $0.message.contains("DC01") },
            "a host whose FQDN is a DC's is a SECURITY finding: \(r.findings)")
        let yaml = ImportYAML.render(r)
        #expect(yaml.contains("- \"HV01\"  # SECURITY"), "\(yaml)")
    }

    /// A dNSHostName that is not this computer's DNS name (another label, a `/`, a space, a port, non-ASCII)
    /// would make the fqdn form declare values for some other service or account.
    @Test func aDNSHostNameThatIsNotTheHostsIsAFinding() throws {
        for bad in [
            "hv99.corp.example.com", "hv01.corp.example.com/x", "hv01.corp.example.com:445", "hv01 .corp",
            "hv01.c\u{212A}",
            "hv01.corp\n.x", String(repeating: "a", count: 300),
        ] {
            let r = try run(ImportObservation(hosts: pair([], dns: { $0 == "HV01" ? bad : F.fqdn($0) })))
            let finding = r.findings.first { $0.subject == "HV01" && $0.message.contains("dNSHostName") }
            #expect(finding != nil && finding!.severity != .note, "\(bad): \(r.findings)")
            let yaml = ImportYAML.render(r)
            expectPrintableLines(yaml)
            #expect(yaml.contains("- \"HV01\"  # "), "\(bad)")
        }
    }

    /// A host's migration value naming a DC makes the DC a Hyper-V host: the manifest would then manage the
    /// DC's own delegation and bits, and every peer would delegate to its cifs service.
    @Test func aDomainControllerPulledInAsAHostIsCalledOut() throws {
        var dc = Self.dc
        dc.allowedToDelegateTo = []
        let hosts = pair(["\(F.mvsms)/DC01"])
        let r = try run(ImportObservation(hosts: hosts + [dc], domainControllers: [Self.dc]))
        let m = try #require(r.manifest.clusters.first)
        #expect(m.hosts.contains("DC01"))
        #expect(
            r.findings.contains {
                $0.severity == .security && $0.subject == "DC01" && $0.message.contains("domain controller")
            },
            "\(r.findings)")
        #expect(ImportYAML.render(r).contains("- \"DC01\"  # SECURITY: a domain controller"))
    }

    /// A DC's cifs held by one host: as `smbStorage` every host of the cluster gets it. The summary must say that
    /// the first plan adds delegation to a domain controller, loudly.
    @Test func theFirstPlanAddingDelegationToADomainControllerIsASecuritySummaryLine() throws {
        let hosts = ["HV01", "HV02"].map { n in
            F.host(n, F.values(to: [n == "HV01" ? "HV02" : "HV01"]) + (n == "HV01" ? ["cifs/DC01"] : []))
        }
        let r = try run(ImportObservation(hosts: hosts, others: [Self.dc], domainControllers: [Self.dc]))
        #expect(r.manifest.clusters[0].smbStorage == ["DC01"])
        #expect(
            r.summary.contains { $0.hasPrefix("SECURITY") && $0.contains("DC01") && $0.contains("HV02") },
            "\(r.summary)")
        #expect(ImportYAML.render(r).contains("- \"HV02\"  # SECURITY"))
    }

    /// Dangerous service classes that every host holds are extraTargets with a SECURITY comment; the same
    /// classes are recognised in any case, and `HOST/` of a DC too.
    @Test func dangerousExtraTargetsCarryASecurityComment() throws {
        let dangerous = [
            "LDAP/anything.example.com", "krbtgt/CORP.EXAMPLE.COM", "GC/dc02.corp.example.com/corp.example.com",
            "kadmin/admin", "DNS/ns1", "E3514235-4B06-11D1-AB04-00C04FC2DCD2/x/corp.example.com", "HOST/DC01",
            "host/dc01.corp.example.com", "http/dc01.corp.example.com:8080",
        ]
        let r = try run(ImportObservation(hosts: pair(dangerous), domainControllers: [Self.dc]))
        let yaml = ImportYAML.render(r)
        for value in dangerous {
            #expect(
                yaml.contains("- \(ImportYAML.quoted(value))  # SECURITY"), "\(value) must carry a SECURITY comment")
            #expect(r.findings.contains { $0.severity == .security && $0.message.contains(value) }, "\(value)")
        }
    }

    // MARK: - Inference soundness

    /// HV01 is a Hyper-V host of cluster A and the SMB storage of cluster B: B's hosts delegate to its cifs only.
    /// The consistent manifest (A: HV01, HV02; B: HV03, HV04 with smbStorage HV01) has an empty plan, and import
    /// must not merge the clusters (which would make the first plan add migration delegation between them).
    @Test func aHyperVHostThatIsAlsoAnotherClustersStorageDoesNotMergeTheClusters() throws {
        let a = ["HV01", "HV02"]
        let b = ["HV03", "HV04"]
        var hosts = a.map { n in F.host(n, F.values(to: a.filter { $0 != n }), uac: F.any) }
        hosts += b.map { n in
            F.host(n, F.values(to: b.filter { $0 != n }) + F.values(to: ["HV01"], services: ["cifs"]), uac: F.any)
        }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(r.firstPlan.isEmpty, "\(r.summary)")
        #expect(r.manifest.clusters.map(\.hosts) == [a, b])
        #expect(r.manifest.clusters.last?.smbStorage == ["HV01"])
    }

    /// Ports and instance names in a peer's SPN are not peer edges; held by all hosts, they are extra targets;
    /// the plan is empty either way.
    @Test func portsAndInstanceNamesAreNotPeerEdges() throws {
        let extra = ["cifs/HV02:445", "cifs/hv02.corp.example.com/share", "\(F.mvsms)/HV02:6600"]
        let hosts = ["HV01", "HV02", "HV03"].map { n in
            F.host(n, F.values(to: ["HV01", "HV02", "HV03"].filter { $0 != n }) + extra, uac: F.any)
        }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(r.manifest.clusters.map(\.hosts) == [["HV01", "HV02", "HV03"]])
        #expect(Set(r.manifest.clusters[0].extraTargets.map(\.value)) == Set(extra))
        #expect(r.firstPlan.isEmpty, "\(r.summary)")
    }

    // MARK: - Resource limits

    /// The largest star import accepts still plans in bounded time: 2,000 hosts, 4 million values to add.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KCDCTL_SLOW_TESTS"] == "1"))
    func theLargestAcceptedStarPlansInBoundedTime() throws {
        let spokes = (0..<1_999).map { "S\($0)" }
        let hub = F.host("HUB", spokes.map { "\(F.mvsms)/\($0)" })
        let hosts = [hub] + spokes.map { F.host($0, dns: false) }
        let clock = ContinuousClock()
        let started = clock.now
        let r = try run(ImportObservation(hosts: hosts))
        print("star of 2000: \(clock.now - started), \(r.firstPlan.summary.valuesToAdd) values to add")
    }

    /// One host delegating to thousands of others makes one cluster whose expansion is quadratic: import refuses
    /// it before expanding (bounded memory and time), with an error that says why.
    @Test func aClusterTooLargeForAManifestIsRefusedBeforeItIsExpanded() throws {
        let n = Manifest.hostsPerClusterCeiling + 1
        let spokes = (0..<n).map { "S\($0)" }
        let hub = F.host("HUB", spokes.map { "\(F.mvsms)/\($0)" })
        let hosts = [hub] + spokes.map { F.host($0, dns: false) }
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: ImportTooLarge.self) { try run(ImportObservation(hosts: hosts)) }
        #expect(clock.now - started < .seconds(20))
    }
}
