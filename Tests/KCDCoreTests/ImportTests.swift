import Foundation
import Testing
import Yams

@testable import KCDCore

// Issue 13: `kcdctl import`. The inference is the inverse of DesiredState: checked on a messy estate (golden
// YAML and JSON), rule by rule, and as a property over random consistent estates.

enum ImportFixture {
    static let domain = "corp.example.com"
    static let mvsms = "Microsoft Virtual System Migration Service"
    static let mappings = SPNMappings(values: ["host=alerter,cifs,http"])

    static let template: Manifest = {
        var m = Manifest(
            directory: DirectorySettings(
                uri: "ldaps://dc01.corp.example.com", baseDN: "DC=corp,DC=example,DC=com",
                tls: TLSSettings(caFile: "/etc/kcdctl/ca #1: corp.pem"),
                auth: AuthSettings(bindDN: "svc-kcd@corp.example.com", passwordFile: "/etc/kcdctl/bind.pw")),
            clusters: [])
        m.auditFile = "/var/log/kcdctl/audit.jsonl"
        return m
    }()

    static func fqdn(_ name: String) -> String { name.lowercased() + "." + domain }

    static func host(
        _ name: String, _ values: [String] = [], uac: UserAccountControl = [.workstationTrustAccount],
        dns: Bool = true, migrationSPN: Bool = true
    ) -> ObservedComputer {
        ObservedComputer(
            name: name, dn: "CN=\(name),OU=Hyper-V,DC=corp,DC=example,DC=com", dnsHostName: dns ? fqdn(name) : nil,
            userAccountControl: uac, allowedToDelegateTo: values,
            servicePrincipalNames: ["HOST/\(name)", "HOST/\(fqdn(name))"]
                + (migrationSPN ? ["\(mvsms)/\(name)", "\(mvsms)/\(fqdn(name))"] : []))
    }

    /// Every value `from` needs towards `peers` for these services and forms.
    static func values(to peers: [String], services: [String] = [mvsms, "cifs"], forms: [NameForm] = [.short, .fqdn])
        -> [String]
    {
        peers.flatMap { peer in
            services.flatMap { s in forms.map { $0 == .short ? "\(s)/\(peer)" : "\(s)/\(fqdn(peer))" } }
        }
    }

    static let any: UserAccountControl = [.workstationTrustAccount, .trustedToAuthForDelegation]

    /// The estate the integration test builds in Samba, in memory: two full-mesh clusters (A: any-protocol,
    /// both forms, SMB storage, mixed case; B: kerberos-only, short names only, HVB3 lacking HVB1), a foreign
    /// http/ target on one host, a host with unconstrained delegation to ldap/ of the DC, a host without
    /// delegation, a host whose name a manifest cannot hold, a value with a line break.
    static func messy() -> ImportObservation {
        let a = ["HVA1", "HVA2", "HVA3"]
        let b = ["HVB1", "HVB2", "HVB3"]
        var hosts: [ObservedComputer] = []
        for name in a {
            var v = values(to: a.filter { $0 != name }) + ["cifs/SOFS01", "cifs/\(fqdn("SOFS01"))"]
            if name == "HVA2" { v = v.map { $0.uppercased() } + ["http/web01.\(domain)"] }
            if name == "HVA1" { v.append("cifs/x\ny") }
            hosts.append(host(name, v, uac: any))
        }
        for name in b {
            let peers = b.filter { $0 != name && !(name == "HVB3" && $0 == "HVB1") }
            hosts.append(host(name, values(to: peers, forms: [.short])))
        }
        hosts.append(host("HVC1", ["ldap/dc01.\(domain)"], uac: [.workstationTrustAccount, .trustedForDelegation]))
        hosts.append(host("HVD1"))
        hosts.append(host("HV 9\u{1b}[31m", ["cifs/HVA1"]))
        let sofs = ObservedComputer(
            name: "SOFS01", dn: "CN=SOFS01,OU=Storage,DC=corp,DC=example,DC=com", dnsHostName: fqdn("SOFS01"),
            userAccountControl: [.workstationTrustAccount], servicePrincipalNames: ["HOST/SOFS01"])
        let dc = ObservedComputer(
            name: "DC01", dn: "CN=DC01,OU=Domain Controllers,DC=corp,DC=example,DC=com", dnsHostName: fqdn("DC01"),
            userAccountControl: [.serverTrustAccount])
        return ImportObservation(
            hosts: hosts.reversed(), others: [sofs], domainControllers: [dc], spnMappings: mappings)
    }
}

/// An `ImportDirectory` in memory that counts its reads.
final class MemoryImportDirectory: ImportDirectory {
    var computers: [ObservedComputer]
    var controllers: [ObservedComputer] = []
    private(set) var namedReads: [[String]] = []
    private(set) var registeringReads = 0

    init(_ computers: [ObservedComputer]) { self.computers = computers }

    func computers(named names: [String]) throws -> [ObservedComputer] {
        namedReads.append(names)
        let wanted = Set(names.map(ComputerName.init))
        return computers.filter { wanted.contains(ComputerName($0.name)) }
    }

    func computers(registering serviceClass: String, under base: String?) throws -> [ObservedComputer] {
        registeringReads += 1
        return computers.filter { c in
            c.servicePrincipalNames.contains { SPN($0).serviceClass.lowercased() == serviceClass.lowercased() }
                && (base.map { c.dn.lowercased().hasSuffix($0.lowercased()) } ?? true)
        }
    }

    func domainControllers() throws -> [ObservedComputer] { controllers }
    func spnMappings() throws -> SPNMappings { ImportFixture.mappings }

    /// Accounts that are not computers (users, groups), by SID.
    var otherAccounts: [SecurityIdentifier: SIDOwner] = [:]
    private(set) var sidReads: [[SecurityIdentifier]] = []

    func accounts(withSIDs sids: [SecurityIdentifier]) throws -> [SecurityIdentifier: SIDOwner] {
        sidReads.append(sids)
        var found: [SecurityIdentifier: SIDOwner] = [:]
        for sid in sids {
            if let computer = computers.first(where: { $0.objectSid == sid }) {
                found[sid] = SIDOwner(accountName: computer.name + "$", isComputer: true)
            } else if let other = otherAccounts[sid] {
                found[sid] = other
            }
        }
        return found
    }
}

@Suite struct ImportInference {
    typealias F = ImportFixture

    func run(_ o: ImportObservation) throws -> ImportResult {
        try Importer.run(o, template: F.template, domain: F.domain)
    }

    /// The written YAML reads back, with the manifest's rules, to exactly the inferred manifest.
    func roundTrip(_ r: ImportResult) throws -> Manifest {
        let yaml = ImportYAML.render(r)
        let m = try ManifestLoader.parse(yaml, file: "imported.yaml")
        #expect(m.directory == r.manifest.directory)
        #expect(m.auditFile == r.manifest.auditFile)
        #expect(m.clusters.count == r.manifest.clusters.count)
        for (a, b) in zip(m.clusters, r.manifest.clusters) {
            #expect(a.name == b.name && a.mode == b.mode && a.services == b.services && a.nameForms == b.nameForms)
            #expect(a.hosts == b.hosts && a.smbStorage == b.smbStorage && a.prune == b.prune)
            #expect(a.extraTargets.map(\.value) == b.extraTargets.map(\.value))
        }
        return m
    }

    @Test func aConsistentEstateImportsToAnEmptyFirstPlan() throws {
        let names = ["HV01", "HV02", "HV03", "HV04"]
        let hosts = names.map { n in F.host(n, F.values(to: names.filter { $0 != n }), uac: F.any) }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(r.firstPlan.isEmpty)
        #expect(
            r.summary == [
                "The first plan changes nothing: 4 hosts in 1 cluster delegate exactly as the manifest declares."
            ])
        let c = try #require(r.manifest.clusters.first)
        #expect(c.name == "cluster-hv01" && c.mode == .anyProtocol && c.hosts == names)
        #expect(c.services == Manifest.defaultServices && c.nameForms == [.short, .fqdn])
        #expect(r.findings.isEmpty)
        _ = try roundTrip(r)
    }

    @Test func theMessyEstate() throws {
        let r = try run(F.messy())
        let m = try roundTrip(r)
        #expect(m.clusters.map(\.name) == ["cluster-hva1", "cluster-hvb1", "cluster-hvc1"])
        let a = m.clusters[0]
        #expect(a.hosts == ["HVA1", "HVA2", "HVA3"] && a.mode == .anyProtocol && a.smbStorage == ["SOFS01"])
        #expect(a.extraTargets.isEmpty, "http/ is on one host only: left as it is, not declared")
        let b = m.clusters[1]
        #expect(b.mode == .kerberosOnly && b.nameForms == [.short] && b.hosts == ["HVB1", "HVB2", "HVB3"])
        let c = m.clusters[2]
        #expect(c.hosts == ["HVC1"] && c.extraTargets.map(\.value) == ["ldap/dc01.corp.example.com"])
        #expect(r.unplaced.map(\.name) == ["HVD1"])

        // The first plan: HVB3's two values to HVB1, the line break value removed, HVC1's 0x80000 cleared.
        let plan = r.firstPlan
        #expect(plan.changes.map(\.host) == ["HVA1", "HVB3", "HVC1"])
        #expect(plan.changes[1].add.map(\.value) == ["cifs/HVB1", "\(F.mvsms)/HVB1"])
        #expect(plan.changes[0].remove.map(\.value) == ["cifs/x\ny"] && plan.changes[0].add.isEmpty)
        #expect(plan.changes[2].removesUnconstrainedDelegation && plan.changes[2].add.isEmpty)
        #expect(r.summary.contains("HVB3 lacks delegation to HVB1: the first plan will add 2 values"))
        #expect(
            r.summary.contains(
                "SECURITY FIX: HVC1 has unconstrained delegation (TRUSTED_FOR_DELEGATION): the first plan clears it"))

        let security = r.findings.filter { $0.severity == .security }
        #expect(security.map(\.subject) == ["HVC1", "HVC1"])
        #expect(
            security.contains {
                $0.message.contains("ldap/dc01.corp.example.com, a service of the domain controller DC01")
            })
        #expect(r.findings.contains { $0.subject == "HV 9\\x1b[31m" && $0.message.contains("not imported") })
        #expect(r.findings.contains { $0.message.contains("'cifs/x\\x0ay' has a control character") })
        let yaml = ImportYAML.render(r)
        #expect(!yaml.contains("\u{1b}") && !yaml.contains("x\ny"))
        #expect(yaml.contains("- \"ldap/dc01.corp.example.com\"  # SECURITY: a service of the domain controller DC01"))
    }

    @Test func goldenFiles() throws {
        let r = try run(F.messy())
        for (name, output) in [
            ("import-messy.yaml", ImportYAML.render(r)), ("import-messy.json", ImportJSON.render(r)),
        ] {
            let path = GoldenReviewOutputs.folder + "/" + name
            if ProcessInfo.processInfo.environment["KCDCTL_UPDATE_GOLDEN"] == "1" {
                try output.write(toFile: path, atomically: false, encoding: .utf8)
            }
            let golden = try String(contentsOfFile: path, encoding: .utf8)
            #expect(output == golden, "\(name) differs from its golden file (KCDCTL_UPDATE_GOLDEN=1 rewrites it)")
        }
        // The same directory, read in another order, gives the same bytes.
        var shuffled = F.messy()
        shuffled.hosts.reverse()
        shuffled.hosts = shuffled.hosts.map {
            var h = $0
            h.allowedToDelegateTo.reverse()
            return h
        }
        #expect(ImportYAML.render(try run(shuffled)) == ImportYAML.render(r))
    }

    @Test func aHostWithOneMissingPeerIsInTheClusterAndNamedInTheSummary() throws {
        let names = ["HV01", "HV02", "HV03", "HV07"]
        let hosts = names.map { n in
            F.host(n, F.values(to: names.filter { $0 != n && (n == "HV07" || $0 != "HV07") }), uac: F.any)
        }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(r.manifest.clusters.map(\.hosts) == [names])
        #expect(
            r.summary.first == "3 hosts (HV01, HV02, HV03) lack delegation to HV07: the first plan will add 12 values")
        let yaml = ImportYAML.render(r)
        #expect(yaml.contains("- \"HV01\"  # the first plan changes it: lacks delegation to HV07 (4 values)"))
        #expect(r.firstPlan.summary.valuesToRemove == 0)
    }

    @Test func modeIsTheMajorityAndTheOthersAreNamed() throws {
        let names = ["HV01", "HV02", "HV03"]
        let hosts = names.map { n in
            F.host(n, F.values(to: names.filter { $0 != n }), uac: n == "HV02" ? [.workstationTrustAccount] : F.any)
        }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(r.manifest.clusters[0].mode == .anyProtocol)
        #expect(r.clusters[0].notes.contains { $0.contains("HV02 is kerberos-only") })
        #expect(r.findings.contains { $0.severity == .warning && $0.message.contains("by majority; HV02 is not") })
        #expect(r.firstPlan.changes.map(\.host) == ["HV02"] && r.firstPlan.changes[0].userAccountControl != nil)
        // A tie goes to any-protocol, what live migration over WinRM needs.
        let two = ["HV01", "HV02"].map { n in
            F.host(n, F.values(to: [n == "HV01" ? "HV02" : "HV01"]), uac: n == "HV01" ? F.any : [])
        }
        #expect(try run(ImportObservation(hosts: two)).manifest.clusters[0].mode == .anyProtocol)
    }

    @Test func extraTargetsAreTheValuesEveryHostHolds() throws {
        let names = ["HV01", "HV02"]
        let hosts = names.map { n in
            F.host(
                n,
                F.values(to: names.filter { $0 != n }) + ["http/web.corp.example.com", "MSSQLSvc/db:1433"]
                    + (n == "HV01" ? ["cifs/GONE", "wsman/only-here"] : []), uac: F.any)
        }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(r.manifest.clusters[0].extraTargets.map(\.value) == ["http/web.corp.example.com", "MSSQLSvc/db:1433"])
        // cifs/GONE is managed (cifs is a service): the first plan removes it; wsman is not: left alone.
        #expect(r.firstPlan.changes.map(\.host) == ["HV01"])
        #expect(r.firstPlan.changes[0].remove.map(\.value) == ["cifs/GONE"])
        #expect(r.findings.contains { $0.severity == .note && $0.message.contains("wsman/only-here") })
    }

    @Test func valuesThatNeedQuotingRoundTrip() throws {
        let tricky = ["http/a#b", "http/x:1#y", "*star/x", "&anchor/x", "http/q\"uote", "http/back\\slash", "!tag/x"]
        let hosts = ["HV01", "HV02"].map { n in F.host(n, F.values(to: [n == "HV01" ? "HV02" : "HV01"]) + tricky) }
        let r = try run(ImportObservation(hosts: hosts))
        #expect(Set(r.manifest.clusters[0].extraTargets.map(\.value)) == Set(tricky))
        _ = try roundTrip(r)
        for text in tricky + ["a: b", "ünï", "tab\there", "\u{1F600}", "-", "? x", "null", "true", "0x10", "~"] {
            let node = try Yams.compose(yaml: "k: \(ImportYAML.quoted(text))\n")
            #expect(node?.mapping?["k"]?.string == text, "\(text)")
        }
    }

    @Test func storageServersAreCifsTargetsThatAreNotHyperVHosts() throws {
        let names = ["HV01", "HV02"]
        let sofs = F.host("SOFS01", migrationSPN: false)
        let hosts = names.map { n in
            F.host(n, F.values(to: names.filter { $0 != n }) + (n == "HV01" ? ["cifs/sofs01.corp.example.com"] : []))
        }
        let r = try run(ImportObservation(hosts: hosts, others: [sofs]))
        #expect(r.manifest.clusters[0].smbStorage == ["SOFS01"])
        #expect(r.summary.first == "2 hosts (HV01, HV02) lack delegation to SOFS01: the first plan will add 3 values")
        #expect(r.edges.filter { $0.kind == .storage }.map(\.to) == ["SOFS01"])
    }

    @Test func delegationToADomainControllerAsStorageIsCalledOut() throws {
        let dc = ObservedComputer(
            name: "DC01", dn: "CN=DC01", dnsHostName: F.fqdn("DC01"), userAccountControl: [.serverTrustAccount])
        let hosts = ["HV01", "HV02"].map { n in
            F.host(n, F.values(to: [n == "HV01" ? "HV02" : "HV01"]) + ["cifs/DC01", "cifs/dc01.corp.example.com"])
        }
        let r = try run(ImportObservation(hosts: hosts, others: [dc], domainControllers: [dc]))
        #expect(r.manifest.clusters[0].smbStorage == ["DC01"])
        #expect(ImportYAML.render(r).contains("- \"DC01\"  # SECURITY: a domain controller"))
        #expect(r.findings.filter { $0.severity == .security }.count == 4)
    }

    @Test func directoryOnlyManifestsAreForImportOnly() throws {
        let file = NSTemporaryDirectory() + "kcdctl-import-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let directory = validManifest.components(separatedBy: "clusters:")[0]
        for text in [directory, directory + "clusters: []\n", directory + "clusters:\n"] {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let m = try ManifestLoader.loadDirectoryOnly(path: file)
            #expect(m.clusters.isEmpty && m.directory.uri == "ldaps://dc01.corp.example.com")
            #expect(throws: ManifestError.self) { try ManifestLoader.load(path: file) }
        }
        // Its other rules stay: a password in it is still refused, and clusters it has are still checked.
        try (directory.replacingOccurrences(of: "passwordFile", with: "password") + "")
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ManifestError.self) { try ManifestLoader.loadDirectoryOnly(path: file) }
        try (directory + "clusters:\n  - name: a\n    mode: nope\n    hosts: [HV01]\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ManifestError.self) { try ManifestLoader.loadDirectoryOnly(path: file) }
    }

    @Test func discoveryFollowsMigrationTargetsInBatchedRounds() throws {
        // HV01..HV03 in the OU; HV04 outside it, named only by HV03's values; SOFS01 storage; GONE missing.
        let inOU = ["HV01", "HV02", "HV03"]
        var computers = inOU.map { n in
            F.host(
                n,
                F.values(to: inOU.filter { $0 != n }) + (n == "HV03" ? F.values(to: ["HV04"]) : []) + [
                    "cifs/SOFS01", "cifs/GONE",
                ])
        }
        var outside = F.host("HV04", F.values(to: ["HV03"]), migrationSPN: false)
        outside.dn = "CN=HV04,OU=Elsewhere,DC=corp,DC=example,DC=com"
        computers += [outside, F.host("SOFS01", migrationSPN: false), F.host("OTHER9", F.values(to: ["X"]))]
        computers[computers.count - 1].dn = "CN=OTHER9,OU=Other,DC=corp,DC=example,DC=com"
        let directory = MemoryImportDirectory(computers)
        let o = try Importer.observe(directory, scope: .registering(searchBase: "OU=Hyper-V,DC=corp,DC=example,DC=com"))
        #expect(o.hosts.map(\.name) == ["HV01", "HV02", "HV03", "HV04"])
        #expect(o.others.map(\.name) == ["SOFS01"] && o.missing == ["GONE"])
        #expect(directory.registeringReads == 1)
        #expect(directory.namedReads == [["SOFS01", "GONE", "HV04"]], "one batched read for everything named")
        let r = try Importer.run(o, template: F.template, domain: F.domain)
        #expect(r.manifest.clusters.map(\.hosts) == [["HV01", "HV02", "HV03", "HV04"]])
        #expect(r.findings.contains { $0.subject == "GONE" && $0.message.contains("no computer object") })

        // --hosts: those hosts, which must exist.
        let named = try Importer.observe(MemoryImportDirectory(computers), scope: .named(["hv01"]))
        #expect(named.hosts.map(\.name) == ["HV01", "HV02", "HV03", "HV04"])
        #expect(throws: ImportHostsNotFound(names: ["HV99"])) {
            try Importer.observe(MemoryImportDirectory(computers), scope: .named(["HV01", "HV99"]))
        }
    }

    @Test func theManifestFileIsNewUnlessForced() throws {
        let folder = NSTemporaryDirectory() + "kcdctl-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/m.yaml"
        try ManifestFile.write(path, "one\n", force: false)
        #expect(throws: FileError.self) { try ManifestFile.write(path, "two\n", force: false) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\n")
        try ManifestFile.write(path, "two\n", force: true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two\n")
        // A symlink (dangling or not) is never followed: refused, or with --force replaced.
        let target = folder + "/target"
        let link = folder + "/link.yaml"
        symlink(target, link)
        #expect(throws: FileError.self) { try ManifestFile.write(link, "x\n", force: false) }
        #expect(!FileManager.default.fileExists(atPath: target))
        try ManifestFile.write(link, "x\n", force: true)
        #expect(!FileManager.default.fileExists(atPath: target))
        let type = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
        #expect(type == .typeRegular)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["link.yaml", "m.yaml"])
    }
}

// MARK: - Property: import is the inverse of DesiredState

@Suite struct ImportProperties {
    typealias F = ImportFixture

    struct Estate {
        var observation: ImportObservation
        var unplaced: Int
        /// Peer and storage values, by host: what a mutation may remove.
        var removable: [String: [String]]
    }

    static func generate(_ rng: inout PropRNG) -> Estate {
        var clusters: [Cluster] = []
        var dns: [ComputerName: String] = [:]
        var storage: [ObservedComputer] = []
        // Clusters whose migration values a mutation keeps: a host's client cluster that lost them all is no
        // longer a separate cluster that migrates, and its cifs values join it to the host's.
        var pinned = Set<String>()
        for k in 0..<rng.int(1...4) {
            let size = rng.weighted([3, 4, 3, 2, 1, 1])
            let hosts = (0..<size).map { rng.randomCase("h\(k)x\($0)") }
            for h in hosts where rng.chance(0.7) { dns[ComputerName(h)] = rng.randomCase("\(h).site\(k).example.net") }
            var services = rng.sample(Manifest.defaultServices, rng.int(1...2))
            services.sort {
                Manifest.defaultServices.firstIndex(of: $0)! < Manifest.defaultServices.firstIndex(of: $1)!
            }
            let forms = rng.pick([[NameForm.short], [.fqdn], [.short, .fqdn]])
            let servers = (0..<rng.int(0...2)).map { "S\(k)v\($0)" }
            for s in servers {
                storage.append(
                    ObservedComputer(
                        name: s, dn: "CN=\(s)", dnsHostName: rng.chance(0.5) ? "\(s).corp.example.com" : nil,
                        userAccountControl: [.workstationTrustAccount]))
            }
            // Ports and instance names on a peer's name are not peer edges: values like any other.
            let pool = [
                "http/web\(k).corp.example.com", "MSSQLSvc/db\(k):1433", "cifs/GONE\(k)", "ldap/other\(k)",
                "cifs/\(hosts[0]):445", "\(F.mvsms)/\(hosts[0])/instance",
            ]
            var extra = rng.sample(pool, rng.int(0...2)).map(SPN.init)
            if size == 1 && servers.isEmpty && extra.isEmpty { extra = [SPN(pool[0])] }
            clusters.append(
                Cluster(
                    name: "c\(k)", mode: rng.pick([.anyProtocol, .kerberosOnly]), services: services,
                    nameForms: size == 1 ? NameForm.allCases : forms, hosts: hosts, smbStorage: servers,
                    extraTargets: extra))
            // Clusters whose storage is another cluster's: shared storage.
            if k > 0, rng.chance(0.2), let shared = storage.first, !clusters[k].smbStorage.contains(shared.name) {
                clusters[k].smbStorage.append(shared.name)
            }
            // A Hyper-V host of a cluster that migrates is the SMB storage of another cluster that migrates (a
            // host that is also a file server).
            let migrates = { (c: Cluster) in c.hosts.count > 1 && c.services.contains(F.mvsms) }
            if k > 0, rng.chance(0.3), migrates(clusters[0]), migrates(clusters[k]) {
                let server = rng.pick(clusters[0].hosts)
                clusters[k].smbStorage.append(server)
                pinned.formUnion([clusters[0].name, clusters[k].name])
            }
        }
        let m = Manifest(directory: F.template.directory, clusters: clusters)
        let desired = DesiredState.expand(m, domain: F.domain) { dns[ComputerName($0)] }
        var hosts: [ObservedComputer] = []
        var removable: [String: [String]] = [:]
        let storageNames = Set(storage.map { ComputerName($0.name) })
        for (host, cluster) in zip(desired.hosts, clusters.flatMap { c in c.hosts.map { _ in c } }) {
            let values = rng.shuffled(host.targets.map { rng.randomCase($0.value) })
            removable[host.name] = values.filter { v in
                if pinned.contains(cluster.name) && SPN(v).asciiServiceClass == F.mvsms.lowercased() {
                    return false
                }
                return !cluster.extraTargets.contains(SPN(v)) || storageNames.contains(ComputerName(SPN(v).host))
            }
            var other: UserAccountControl = [.workstationTrustAccount]
            if rng.chance(0.3) { other.insert(.dontExpirePassword) }
            hosts.append(
                ObservedComputer(
                    name: host.name, dn: "CN=\(host.name)", dnsHostName: dns[ComputerName(host.name)],
                    userAccountControl: host.mode.userAccountControl(from: other), allowedToDelegateTo: values,
                    servicePrincipalNames: ["\(F.mvsms)/\(host.name)"]))
        }
        let unplaced = rng.int(0...2)
        for i in 0..<unplaced {
            hosts.append(
                ObservedComputer(
                    name: "idle\(i)", dn: "CN=idle\(i)", userAccountControl: [.workstationTrustAccount],
                    servicePrincipalNames: ["\(F.mvsms)/idle\(i)"]))
        }
        return Estate(
            observation: ImportObservation(hosts: rng.shuffled(hosts), others: rng.shuffled(storage)),
            unplaced: unplaced, removable: removable)
    }

    static let cases = 400

    @Test func aConsistentEstateImportsToExactlyWhatItHolds() throws {
        for index in 0..<Self.cases {
            var rng = Prop.rng(index)
            let estate = Self.generate(&rng)
            let context = "case \(index), seed \(Prop.seed)"
            let r = try Importer.run(estate.observation, template: F.template, domain: F.domain)
            try #require(r.firstPlan.isEmpty, "\(context): \(r.summary)")
            #expect(r.unplaced.count == estate.unplaced, "\(context)")
            // DesiredState of the written manifest is exactly what each host holds.
            let written = try ManifestLoader.parse(ImportYAML.render(r), file: "imported.yaml")
            let byName = (estate.observation.hosts + estate.observation.others).indexedByName()
            let desired = DesiredState.expand(written, domain: F.domain) { byName[ComputerName($0)]?.dnsHostName }
            #expect(desired.hosts.count == estate.observation.hosts.count - estate.unplaced, "\(context)")
            for host in desired.hosts {
                let observed = try #require(byName[ComputerName(host.name)])
                #expect(
                    Set(host.targets) == Set(observed.allowedToDelegateTo.map(SPN.init)), "\(context): \(host.name)")
                #expect(host.mode.userAccountControl(from: observed.userAccountControl) == observed.userAccountControl)
            }
            // Deterministic: the same directory in another order gives the same bytes.
            var again = estate.observation
            again.hosts = rng.shuffled(again.hosts)
            #expect(
                ImportYAML.render(try Importer.run(again, template: F.template, domain: F.domain))
                    == ImportYAML.render(r))
        }
    }

    @Test func missingEdgesAreWhatTheFirstPlanAddsAndNothingElse() throws {
        var mutated = 0
        for index in 0..<Self.cases {
            var rng = Prop.rng(index)
            var estate = Self.generate(&rng)
            var removed = Set<String>()
            for i in estate.observation.hosts.indices where rng.chance(0.4) {
                let h = estate.observation.hosts[i]
                let drop = Set(rng.sample(estate.removable[h.name] ?? [], rng.int(1...3)))
                estate.observation.hosts[i].allowedToDelegateTo.removeAll { drop.contains($0) }
                removed.formUnion(drop.map { SPN($0).key })
            }
            if !removed.isEmpty { mutated += 1 }
            let r = try Importer.run(estate.observation, template: F.template, domain: F.domain)
            let context = "case \(index), seed \(Prop.seed)"
            for change in r.firstPlan.changes {
                #expect(change.remove.isEmpty && change.userAccountControl == nil, "\(context): \(r.summary)")
                #expect(change.add.allSatisfy { removed.contains($0.key) }, "\(context): \(change.add)")
            }
            if !r.manifest.clusters.isEmpty {
                _ = try ManifestLoader.parse(ImportYAML.render(r), file: "imported.yaml")
            }
        }
        #expect(mutated > Self.cases / 2)
    }
}
