import Foundation
import Testing

@testable import KCDCore

// Issue 15: `kcdctl import` infers resource-based clusters from the hosts' msDS-AllowedToActOnBehalfOfOtherIdentity
// (docs/adopting.md). A grant of kcdctl's form to another Hyper-V host's objectSid is an edge; a group joined only
// by such edges is a resource-based cluster; a group with classic edges stays classic and the first plan revokes
// its grants; everything else in a descriptor is reported and left alone. The first plan is the real reconciler's.

enum RBCDFixture {
    typealias F = ImportFixture
    static let domainSID = "S-1-5-21-1004336348-1177238915-682003330"
    static func sid(_ rid: Int) -> SecurityIdentifier { try! SecurityIdentifier("\(domainSID)-\(rid)") }
    /// HV01 is RID 1101, HV02 1102, …
    static func rid(_ name: String) -> Int { 1100 + Int(name.dropFirst(2))! }
    static func sid(of name: String) -> SecurityIdentifier { sid(rid(name)) }

    /// A Hyper-V host with an objectSid and, when `allows` is not nil, a descriptor of kcdctl's form allowing
    /// those hosts (by SID) and `extra` SIDs.
    static func host(
        _ name: String, allows: [String]?, extra: [SecurityIdentifier] = [], values: [String] = [],
        uac: UserAccountControl = [.workstationTrustAccount]
    ) -> ObservedComputer {
        var h = F.host(name, values, uac: uac)
        h.objectSid = sid(of: name)
        if let allows {
            h.allowedToActOnBehalf = try! SecurityDescriptor.kcdctl(allowing: allows.map(sid(of:)) + extra).encoded()
        }
        return h
    }

    /// Every host allows every other one.
    static func mesh(_ names: [String]) -> [ObservedComputer] {
        names.map { n in host(n, allows: names.filter { $0 != n }) }
    }

    static let attribute = "msDS-AllowedToActOnBehalfOfOtherIdentity"
}

@Suite struct ImportResourceBased {
    typealias F = ImportFixture
    typealias R = RBCDFixture

    func run(_ o: ImportObservation) throws -> ImportResult {
        try Importer.run(o, template: F.template, domain: F.domain)
    }

    /// The YAML reads back with the loader's rules, and `kcdctl plan` of it (the reconciler with the owners it
    /// would read) is exactly the first plan import announced.
    @discardableResult
    func readBack(_ r: ImportResult, _ o: ImportObservation) throws -> Manifest {
        let yaml = ImportYAML.render(r)
        #expect(yaml.utf8.allSatisfy { ($0 >= 0x20 && $0 <= 0x7E) || $0 == 0x0A })
        let m = try ManifestLoader.parse(yaml, file: "imported.yaml")
        #expect(m.clusters.map(\.name) == r.manifest.clusters.map(\.name))
        #expect(m.clusters.map(\.mode) == r.manifest.clusters.map(\.mode))
        #expect(m.clusters.map(\.hosts) == r.manifest.clusters.map(\.hosts))
        guard !m.clusters.isEmpty else { return m }
        let directory = MemoryImportDirectory(o.hosts + o.others)
        // Accounts import did not read as computers (users, groups, computers no manifest can name).
        directory.otherAccounts = o.sidOwners
        let computers = o.hosts + o.others
        let accounts = Set(m.accountNames.map(ComputerName.init))
        let read = computers.filter { accounts.contains(ComputerName($0.name)) }
        // What `Reconciliation.sidOwners` asks: the owners of grants in the managed accounts' descriptors.
        let own = Set(read.compactMap(\.objectSid))
        var sids: [SecurityIdentifier] = []
        for c in read {
            let grants = c.allowedToActOnBehalf.flatMap { try? SecurityDescriptor(decoding: $0) }?.kcdctlGrants ?? []
            sids += grants.filter { !own.contains($0) && !sids.contains($0) }
        }
        let plan = try Reconciler.plan(
            m, domain: F.domain, observed: computers, spnMappings: F.mappings,
            sidOwners: try directory.accounts(withSIDs: sids))
        #expect(plan == r.firstPlan, "plan of the written manifest differs from the first plan import announced")
        return m
    }

    @Test func threeHostsGrantingEachOtherAreOneResourceBasedClusterWithAnEmptyFirstPlan() throws {
        let names = ["HV01", "HV02", "HV03"]
        let o = ImportObservation(hosts: R.mesh(names).reversed(), spnMappings: F.mappings)
        let r = try run(o)
        let c = try #require(r.manifest.clusters.first)
        #expect(r.manifest.clusters.count == 1)
        #expect(c.name == "cluster-hv01" && c.mode == .resourceBased && c.hosts == names)
        #expect(c.services == Manifest.defaultServices && c.nameForms == NameForm.allCases)
        #expect(c.smbStorage.isEmpty && c.extraTargets.isEmpty && c.prune == .managed)
        #expect(r.firstPlan.isEmpty)
        #expect(
            r.summary == [
                "The first plan changes nothing: 3 hosts in 1 cluster delegate exactly as the manifest declares."
            ])
        #expect(r.findings.isEmpty, "\(r.findings)")
        #expect(r.unplaced.isEmpty)
        let edges = r.edges.filter { $0.kind == .resourceBased }
        #expect(edges.count == 6 && edges.count == r.edges.count)
        #expect(edges[0] == ImportEdge(from: "HV01", to: "HV02", kind: .resourceBased, value: "\(R.domainSID)-1101"))
        #expect(r.clusters[0].notes.contains { $0.contains("allow each other by resource-based delegation (6 grants") })
        let yaml = ImportYAML.render(r)
        #expect(yaml.contains("    mode: \"resource-based\"\n"))
        #expect(!yaml.contains("smbStorage") && !yaml.contains("extraTargets"), "the loader refuses them")
        try readBack(r, o)

        // The same directory in another order gives the same bytes; JSON shows the edges and the SIDs.
        let again = try run(ImportObservation(hosts: R.mesh(names), spnMappings: F.mappings))
        #expect(ImportYAML.render(again) == yaml)
        let json = try #require(
            JSONSerialization.jsonObject(with: Data(ImportJSON.render(r).utf8)) as? [String: Any])
        let first = try #require((json["edges"] as? [[String: Any]])?.first)
        #expect(first["kind"] as? String == "resource-based" && first["value"] as? String == "\(R.domainSID)-1101")
        #expect(first["service"] == nil && first["form"] == nil)
        #expect((json["hosts"] as? [[String: Any]])?.first?["objectSid"] as? String == "\(R.domainSID)-1101")
        #expect((json["clusters"] as? [[String: Any]])?.first?["mode"] as? String == "resource-based")
    }

    @Test func aHostMissingOneGrantIsInTheClusterAndTheSummarySaysWhatTheFirstPlanAdds() throws {
        let names = ["HV01", "HV02", "HV03"]
        var hosts = R.mesh(names)
        hosts[2] = R.host("HV03", allows: ["HV02"])
        let o = ImportObservation(hosts: hosts, spnMappings: F.mappings)
        let r = try run(o)
        #expect(r.manifest.clusters.map(\.hosts) == [names] && r.manifest.clusters[0].mode == .resourceBased)
        #expect(r.firstPlan.changes.map(\.host) == ["HV03"])
        let change = try #require(r.firstPlan.changes.first?.resourceBased)
        #expect(change.allow.map(\.sid) == [R.sid(of: "HV01")] && change.revoke.isEmpty)
        #expect(
            r.summary == [
                "HV01 lacks resource-based delegation to HV03: the first plan will allow HV01$ (\(R.domainSID)-1101) in HV03's \(R.attribute) (1 resource-based grant)",
                "In all, the first plan changes 1 of 3 hosts: adds 0 values and 1 resource-based grant, removes 0 values and 0 resource-based grants, changes userAccountControl on 0.",
            ])
        let yaml = ImportYAML.render(r)
        #expect(
            yaml.contains(
                "- \"HV03\"  # the first plan changes it: does not allow HV01 (resource-based; 1 resource-based grant to add)"
            ), "\(yaml)")
        #expect(yaml.contains("# HV01 lacks resource-based delegation to HV03"))
        try readBack(r, o)

        // A host that allows no one, but whom the others allow, is in the cluster too: all its grants to add.
        hosts[2] = R.host("HV03", allows: nil)
        let r2 = try run(ImportObservation(hosts: hosts, spnMappings: F.mappings))
        #expect(r2.manifest.clusters.map(\.hosts) == [names])
        #expect(
            r2.summary.first
                == "2 hosts (HV01, HV02) lack resource-based delegation to HV03: the first plan will allow HV01$ (\(R.domainSID)-1101), HV02$ (\(R.domainSID)-1102) in HV03's \(R.attribute) (2 resource-based grants)"
        )
    }

    /// Classic wins: a group with a classic peer edge is classic, the hosts joined to it only by grants included;
    /// the first plan adds their classic values and revokes the grants among them, and says so.
    @Test func aGroupMixingClassicAndResourceBasedEdgesIsClassic() throws {
        let pair = ["HV01", "HV02"]
        var hosts = pair.map { n in
            R.host(n, allows: n == "HV01" ? ["HV03"] : nil, values: F.values(to: pair.filter { $0 != n }), uac: F.any)
        }
        hosts.append(R.host("HV03", allows: ["HV01", "HV02"], uac: F.any))
        let o = ImportObservation(hosts: hosts, spnMappings: F.mappings)
        let r = try run(o)
        let c = try #require(r.manifest.clusters.first)
        #expect(r.manifest.clusters.count == 1 && c.mode == .anyProtocol && c.hosts == ["HV01", "HV02", "HV03"])
        #expect(r.clusters[0].notes.contains { $0.contains("classic when any of its hosts delegates to another") })
        #expect(
            r.findings.contains {
                $0.severity == .warning && $0.subject == "HV01"
                    && $0.message.contains("mixes classic delegation") && $0.message.contains("3 resource-based grants")
                    && $0.message.contains("(classic wins)")
            }, "\(r.findings)")
        let plan = r.firstPlan
        #expect(plan.changes.map(\.host) == ["HV01", "HV02", "HV03"])
        #expect(plan.changes[0].resourceBased?.revoke.map(\.sid) == [R.sid(of: "HV03")])
        #expect(plan.changes[2].resourceBased?.revoke.map(\.sid) == [R.sid(of: "HV01"), R.sid(of: "HV02")])
        #expect(plan.changes[2].add.count == 8 && plan.changes[1].resourceBased == nil)
        #expect(
            r.summary.contains(
                "HV03's \(R.attribute) allows HV01$ (\(R.domainSID)-1101), HV02$ (\(R.domainSID)-1102), which the manifest does not declare: the first plan will revoke them (its cluster is any-protocol: grants to the manifest's hosts are revoked)"
            ), "\(r.summary)")
        #expect(r.summary.contains("2 hosts (HV01, HV02) lack delegation to HV03: the first plan will add 8 values"))
        #expect(r.summary.last?.contains("removes 0 values and 3 resource-based grants") == true)
        try readBack(r, o)
    }

    /// A descriptor that does not decode is a finding, never a crash: its host takes part in no resource-based
    /// edge, and the grants to it elsewhere are what the first plan revokes (it is a computer outside the cluster).
    @Test func aCorruptDescriptorIsAFindingAndItsHostIsInNoResourceBasedCluster() throws {
        var hosts = R.mesh(["HV01", "HV02", "HV03"])
        hosts[2].allowedToActOnBehalf = [1, 0, 0x04, 0x80, 0xFF, 0xFF, 0, 0]
        let o = ImportObservation(hosts: hosts, spnMappings: F.mappings)
        let r = try run(o)
        #expect(r.manifest.clusters.map(\.hosts) == [["HV01", "HV02"]])
        #expect(r.manifest.clusters[0].mode == .resourceBased)
        #expect(r.unplaced.map(\.name) == ["HV03"])
        #expect(
            r.findings.contains {
                $0.severity == .note && $0.subject == "HV03"
                    && $0.message.contains("its resource-based delegation is not imported (see its warning)")
            })
        #expect(
            r.findings.contains {
                $0.severity == .warning && $0.subject == "HV03"
                    && $0.message.contains("not a valid security descriptor")
            })
        #expect(
            r.findings.contains {
                $0.severity == .warning && $0.subject == "HV01"
                    && $0.message.hasPrefix("HV01, HV02 allow HV03$ (\(R.domainSID)-1103) to delegate to them")
                    && $0.message.contains("a Hyper-V host that takes part in no")
                    && $0.message.contains("the first plan revokes it (prune: managed")
            }, "\(r.findings)")
        #expect(r.firstPlan.changes.map { $0.resourceBased?.revoke.map(\.sid) } == [[R.sid(1103)], [R.sid(1103)]])
        try readBack(r, o)

        // Whatever the bytes, import never crashes and the written manifest always loads.
        var rng = Prop.rng(15)
        let valid = try SecurityDescriptor.kcdctl(allowing: [R.sid(1101), R.sid(1102)]).encoded()
        for _ in 0..<300 {
            var bytes: [UInt8]
            switch rng.int(0...2) {
            case 0: bytes = Array(valid.prefix(rng.int(0...valid.count)))
            case 1:
                bytes = valid
                for _ in 0..<rng.int(1...3) { bytes[rng.int(0...(bytes.count - 1))] = UInt8(rng.int(0...255)) }
            default: bytes = (0..<rng.int(0...64)).map { _ in UInt8(rng.int(0...255)) }
            }
            var hosts = R.mesh(["HV01", "HV02", "HV03"])
            hosts[rng.int(0...2)].allowedToActOnBehalf = bytes
            let o = ImportObservation(hosts: hosts, spnMappings: F.mappings)
            try readBack(try run(o), o)
        }
    }

    /// Grants to anyone but another Hyper-V host of the import are not imported: left alone in a classic cluster,
    /// revoked (and said so) under prune: managed in a resource-based one when the grantee is a computer; users
    /// and unknown SIDs are never touched. Other ACE forms are counted in a note.
    @Test func grantsToOtherAccountsAreReportedAndOnlyComputersAreRevoked() throws {
        let wac = ObservedComputer(
            name: "WAC01", dn: "CN=WAC01,OU=Servers,DC=corp,DC=example,DC=com",
            userAccountControl: [.workstationTrustAccount],
            objectSid: R.sid(1500))
        let alice = R.sid(1600)
        let gone = R.sid(1700)
        let deny = SecurityDescriptor.ACE.other(
            type: 0x01, flags: 0, bytes: [0xFF, 0x01, 0x0F, 0x00] + R.sid(1800).bytes)
        func withExtras(_ h: ObservedComputer) throws -> ObservedComputer {
            var h = h
            var d = try SecurityDescriptor(decoding: h.allowedToActOnBehalf!)
                .updatingKcdctlGrants(adding: [R.sid(1500), alice, gone], removing: [])
            d.dacl!.entries.append(deny)
            h.allowedToActOnBehalf = try d.encoded()
            return h
        }
        let owners = [alice: SIDOwner(accountName: "alice\u{1b}[31m\n# x: y", isComputer: false)]
        // Resource-based: WAC01$ is revoked on both hosts (one finding), alice and the unknown SID stay.
        let rb = try R.mesh(["HV01", "HV02"]).map(withExtras)
        let o = ImportObservation(hosts: rb, others: [wac], spnMappings: F.mappings, sidOwners: owners)
        let r = try run(o)
        #expect(r.manifest.clusters.map(\.mode) == [.resourceBased])
        #expect(r.firstPlan.changes.map { $0.resourceBased?.revoke.map(\.sid) } == [[R.sid(1500)], [R.sid(1500)]])
        let about = { (needle: String) in r.findings.filter { $0.message.contains(needle) } }
        #expect(about("WAC01$").map(\.severity) == [.warning])
        #expect(about("WAC01$").first?.message.contains("the first plan revokes it (prune: managed") == true)
        #expect(about("alice").map(\.severity) == [.note])
        #expect(
            about("alice").first?.message.contains(
                "HV01, HV02 allow 'alice\\x1b[31m\\x0a# x: y' (\(R.domainSID)-1600) to delegate to them (\(R.attribute), an ACE of kcdctl's form): not a computer, so not imported; kcdctl leaves it as it is"
            ) == true)
        #expect(about("no account of the directory has").map(\.severity) == [.note])
        #expect(about("1 ACE not of the form kcdctl writes").count == 2)
        #expect(
            r.summary.contains(
                "HV01's \(R.attribute) allows WAC01$ (\(R.domainSID)-1500), which the manifest does not declare: the first plan will revoke it (prune: managed revokes the grants of kcdctl's form to computers outside the cluster)"
            ), "\(r.summary)")
        #expect(!ImportYAML.render(r).contains("\u{1b}"))
        try readBack(r, o)

        // Classic: the same grants are left alone; the first plan is empty.
        let classic = try ["HV01", "HV02"].map { n in
            try withExtras(R.host(n, allows: [], values: F.values(to: [n == "HV01" ? "HV02" : "HV01"]), uac: F.any))
        }
        let oc = ImportObservation(hosts: classic, others: [wac], spnMappings: F.mappings, sidOwners: owners)
        let rc = try run(oc)
        #expect(rc.manifest.clusters.map(\.mode) == [.anyProtocol] && rc.firstPlan.isEmpty)
        #expect(rc.findings.filter { $0.message.contains("WAC01$") }.map(\.severity) == [.note])
        try readBack(rc, oc)
    }

    /// What a resource-based cluster cannot declare: classic values its hosts hold (the first plan removes those of
    /// a managed service class), and TRUSTED_TO_AUTH_FOR_DELEGATION (cleared).
    @Test func classicValuesAndTheAnyProtocolBitOfResourceBasedHostsAreFindings() throws {
        var hosts = R.mesh(["HV01", "HV02"])
        hosts[0].allowedToDelegateTo = ["cifs/SOFS01", "cifs/sofs01.corp.example.com", "http/web01.corp.example.com"]
        hosts[1].userAccountControl = F.any
        let sofs = F.host("SOFS01", migrationSPN: false)
        let o = ImportObservation(hosts: hosts, others: [sofs], spnMappings: F.mappings)
        let r = try run(o)
        #expect(r.manifest.clusters.map(\.mode) == [.resourceBased])
        #expect(r.manifest.clusters[0].smbStorage.isEmpty)
        let plan = r.firstPlan
        #expect(plan.changes.map(\.host) == ["HV01", "HV02"])
        #expect(plan.changes[0].remove.map(\.value) == ["cifs/SOFS01", "cifs/sofs01.corp.example.com"])
        #expect(plan.changes[1].userAccountControl?.removed == .trustedToAuthForDelegation)
        #expect(
            r.findings.contains {
                $0.severity == .warning
                    && $0.message.hasPrefix("HV01 delegates to cifs/SOFS01 by msDS-AllowedToDelegateTo")
                    && $0.message.contains("the first plan removes it")
            })
        #expect(r.findings.contains { $0.severity == .note && $0.message.contains("http/web01.corp.example.com") })
        #expect(
            r.findings.contains { $0.severity == .note && $0.subject == "HV02" && $0.message.contains("clears it") })
        #expect(
            r.summary.contains(
                "HV02 is any-protocol in AD while its cluster is resource-based: the first plan will clear TRUSTED_TO_AUTH_FOR_DELEGATION"
            ))
        try readBack(r, o)
    }

    /// Discovery follows grants like migration values: `--hosts HV01` finds HV02 and HV03 by the SIDs HV01's
    /// descriptor grants (one SID read, one batched name read); a granted computer without the migration service
    /// is read but is no host; a user's SID is only named. From the migration service, no SID is asked about
    /// when every grant names a host already read.
    @Test func discoveryFollowsGrantsInBatchedReads() throws {
        var computers = R.mesh(["HV01", "HV02", "HV03"])
        computers[0] = R.host("HV01", allows: ["HV02", "HV03"], extra: [R.sid(1500), R.sid(1600), R.sid(1601)])
        var wac = F.host("WAC01", migrationSPN: false)
        wac.objectSid = R.sid(1500)
        computers.append(wac)
        let directory = MemoryImportDirectory(computers)
        directory.otherAccounts[R.sid(1600)] = SIDOwner(accountName: "alice", isComputer: false)
        // A computer account whose name no manifest can hold: never sent in a filter, shown escaped.
        let evil = "EV IL\u{1b}]0;x\u{7}\n*$"
        directory.otherAccounts[R.sid(1601)] = SIDOwner(accountName: evil, isComputer: true)
        let o = try Importer.observe(directory, scope: .named(["HV01"]))
        #expect(o.hosts.map(\.name) == ["HV01", "HV02", "HV03"])
        #expect(o.others.map(\.name) == ["WAC01"] && o.missing.isEmpty)
        #expect(directory.sidReads == [[R.sid(1102), R.sid(1103), R.sid(1500), R.sid(1600), R.sid(1601)]])
        #expect(directory.namedReads == [["HV01"], ["HV02", "HV03", "WAC01"]])
        #expect(o.sidOwners[R.sid(1600)] == SIDOwner(accountName: "alice", isComputer: false))
        let r = try Importer.run(o, template: F.template, domain: F.domain)
        #expect(r.manifest.clusters.map(\.hosts) == [["HV01", "HV02", "HV03"]])
        #expect(r.manifest.clusters[0].mode == .resourceBased)
        // A computer outside the cluster: revoked under prune: managed, and said so, escaped everywhere.
        #expect(r.firstPlan.changes.first?.resourceBased?.revoke.map(\.sid) == [R.sid(1500), R.sid(1601)])
        let shown = "'EV IL\\x1b]0;x\\x07\\x0a*$' (\(R.domainSID)-1601)"
        #expect(r.findings.contains { $0.severity == .warning && $0.message.contains("HV01 allows \(shown)") })
        #expect(r.summary.contains { $0.contains("EV IL\\x1b]0;x\\x07\\x0a*$ (\(R.domainSID)-1601)") })
        for text in r.summary + r.findings.map(\.message) + [ImportText.render(r, writtenTo: "x.yaml")] {
            #expect(!text.contains("\u{1b}") && !text.contains("\u{7}"))
        }
        try readBack(r, o)

        let all = MemoryImportDirectory(R.mesh(["HV01", "HV02", "HV03"]))
        let everything = try Importer.observe(all, scope: .registering(searchBase: nil))
        #expect(everything.hosts.count == 3 && all.sidReads.isEmpty && all.namedReads.isEmpty)
    }

    /// A host without an objectSid, or sharing one with another host, is in no resource-based edge.
    @Test func hostsWithoutAUsableSIDTakePartInNoResourceBasedEdge() throws {
        var hosts = R.mesh(["HV01", "HV02", "HV03"])
        hosts[2].objectSid = nil
        let r = try run(ImportObservation(hosts: hosts, spnMappings: F.mappings))
        #expect(r.manifest.clusters.map(\.hosts) == [["HV01", "HV02"]])
        #expect(r.findings.contains { $0.subject == "HV03" && $0.message.contains("no readable objectSid") })
        hosts = R.mesh(["HV01", "HV02", "HV03"])
        hosts[2].objectSid = hosts[1].objectSid
        let twin = try run(ImportObservation(hosts: hosts, spnMappings: F.mappings))
        #expect(twin.manifest.clusters.isEmpty && twin.unplaced.count == 3)
        #expect(twin.findings.filter { $0.message.contains("is also that of") }.map(\.subject) == ["HV02", "HV03"])
    }
}

// MARK: - Property: resource-based and classic clusters import to an empty first plan

@Suite struct ImportResourceBasedProperties {
    typealias F = ImportFixture
    typealias R = RBCDFixture

    /// Random estates of full-mesh clusters, each classic (any-protocol or kerberos-only, values of both services
    /// and forms) or resource-based (grants in a random order, sometimes with a deny ACE or a user's grant);
    /// plus hosts without delegation.
    static func generate(_ rng: inout PropRNG) -> (observation: ImportObservation, clusters: [Cluster]) {
        var clusters: [Cluster] = []
        var hosts: [ObservedComputer] = []
        var rid = 1100
        var owners: [SecurityIdentifier: SIDOwner] = [:]
        for k in 0..<rng.int(1...4) {
            let mode = rng.pick([DelegationMode.anyProtocol, .kerberosOnly, .resourceBased])
            let names = (0..<rng.weighted([0, 3, 3, 2, 1])).map { rng.randomCase("h\(k)x\($0)") }
            var sids: [String: SecurityIdentifier] = [:]
            for n in names {
                rid += 1
                sids[n] = R.sid(rid)
            }
            clusters.append(Cluster(name: "c\(k)", mode: mode, hosts: names))
            for n in names {
                let peers = names.filter { $0 != n }
                var h = ObservedComputer(
                    name: n, dn: "CN=\(n)",
                    userAccountControl: mode.userAccountControl(from: [.workstationTrustAccount]),
                    servicePrincipalNames: ["\(F.mvsms)/\(n)"], objectSid: sids[n])
                if mode.isResourceBased {
                    var grants = rng.shuffled(peers.map { sids[$0]! })
                    if rng.chance(0.2) {
                        let user = R.sid(5000 + rid)
                        owners[user] = SIDOwner(accountName: "user\(rid)", isComputer: false)
                        grants.append(user)
                    }
                    var d = SecurityDescriptor.kcdctl(allowing: grants)
                    if rng.chance(0.2) {
                        d.dacl!.entries.insert(
                            .other(type: 0x01, flags: 0, bytes: [0xFF, 0x01, 0x0F, 0x00] + R.sid(9000).bytes), at: 0)
                    }
                    h.allowedToActOnBehalf = try! d.encoded()
                } else {
                    h.allowedToDelegateTo = rng.shuffled(
                        peers.flatMap { p in
                            Manifest.defaultServices.flatMap { ["\($0)/\(p)", "\($0)/\(p).\(F.domain)"] }
                        })
                }
                hosts.append(h)
            }
        }
        for i in 0..<rng.int(0...2) {
            hosts.append(
                ObservedComputer(
                    name: "idle\(i)", dn: "CN=idle\(i)", userAccountControl: [.workstationTrustAccount],
                    servicePrincipalNames: ["\(F.mvsms)/idle\(i)"], objectSid: R.sid(8000 + i)))
        }
        return (
            ImportObservation(hosts: rng.shuffled(hosts), spnMappings: F.mappings, sidOwners: owners), clusters
        )
    }

    static let cases = 200

    @Test func consistentEstatesImportToTheirClustersAndAnEmptyFirstPlan() throws {
        for index in 0..<Self.cases {
            var rng = Prop.rng(index)
            let (o, clusters) = Self.generate(&rng)
            let context = "case \(index), seed \(Prop.seed)"
            let r = try Importer.run(o, template: F.template, domain: F.domain)
            try #require(r.firstPlan.isEmpty, "\(context): \(r.summary)")
            let written = try ManifestLoader.parse(ImportYAML.render(r), file: "imported.yaml")
            // The same clusters (named after their first host), in the same modes.
            let expected = clusters.map { (Set($0.hosts.map(ComputerName.init)), $0.mode) }
            let got = written.clusters.map { (Set($0.hosts.map(ComputerName.init)), $0.mode) }
            #expect(got.count == expected.count, "\(context)")
            for (hosts, mode) in expected {
                #expect(got.contains { $0.0 == hosts && $0.1 == mode }, "\(context)")
            }
            #expect(!r.findings.contains { $0.severity != .note }, "\(context): \(r.findings)")
        }
    }

    /// Grants dropped at random are exactly what the first plan allows; nothing else changes.
    @Test func droppedGrantsAreWhatTheFirstPlanAllows() throws {
        var mutated = 0
        for index in 0..<Self.cases {
            var rng = Prop.rng(index)
            var (o, _) = Self.generate(&rng)
            var dropped: [ComputerName: Set<SecurityIdentifier>] = [:]
            for i in o.hosts.indices where rng.chance(0.4) {
                guard let bytes = o.hosts[i].allowedToActOnBehalf else { continue }
                let d = try SecurityDescriptor(decoding: bytes)
                let drop = Set(rng.sample(d.kcdctlGrants.filter { ($0.rid ?? 0) < 5000 }, 1))
                guard !drop.isEmpty else { continue }
                o.hosts[i].allowedToActOnBehalf = try d.updatingKcdctlGrants(adding: [], removing: drop).encoded()
                dropped[ComputerName(o.hosts[i].name)] = drop
            }
            if !dropped.isEmpty { mutated += 1 }
            let r = try Importer.run(o, template: F.template, domain: F.domain)
            let context = "case \(index), seed \(Prop.seed)"
            let allowed = Dictionary(
                uniqueKeysWithValues: r.firstPlan.changes.map {
                    (ComputerName($0.host), Set($0.resourceBased?.allow.map(\.sid) ?? []))
                })
            for change in r.firstPlan.changes {
                #expect(change.add.isEmpty && change.remove.isEmpty && change.userAccountControl == nil, "\(context)")
                #expect(change.resourceBased?.revoke.isEmpty ?? true, "\(context)")
            }
            // A host that lost its only grant in a cluster of two may leave it; otherwise exactly the drops.
            for (host, drop) in dropped where r.manifest.hosts.contains(where: { ComputerName($0) == host }) {
                #expect(allowed[host] == drop, "\(context): \(host.value) \(r.summary)")
            }
        }
        #expect(mutated > Self.cases / 3)
    }
}
