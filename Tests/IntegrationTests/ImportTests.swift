import Foundation
import KCDCore
import KCDLDAP
import Testing

/// Issue 13: `kcdctl import` against Samba. Each test builds its estate with ldapmodify (never with kcdctl)
/// in an OU of its own and imports with --search-base, so that the other tests' computers in the shared DC
/// stay out of it.
extension TestDC {
    /// A new organizational unit under the base DN; its DN.
    func makeOU(_ name: String) throws -> String {
        let dn = "OU=\(name),\(baseDN)"
        try ldapModify("dn: \(dn)\nchangetype: add\nobjectClass: organizationalUnit\n")
        return dn
    }

    /// Computer accounts in `ou`, in one LDAP add: dNSHostName, HOST/ SPNs and, for a Hyper-V host, the
    /// migration service's; with these delegation values and userAccountControl.
    func addComputers(
        _ names: [String], in ou: String, hyperV: Bool = true, uac: [String: UserAccountControl] = [:],
        values: [String: [String]] = [:]
    ) throws {
        var ldif = ""
        for name in names {
            let fqdn = name.lowercased() + "." + domain
            ldif += "dn: CN=\(name),\(ou)\nchangetype: add\nobjectClass: computer\nsAMAccountName: \(name)$\n"
            ldif += "userAccountControl: \((uac[name] ?? [.workstationTrustAccount]).ldapValue)\n"
            ldif += "dNSHostName: \(fqdn)\nservicePrincipalName: HOST/\(name)\nservicePrincipalName: HOST/\(fqdn)\n"
            if hyperV {
                ldif += "servicePrincipalName: Microsoft Virtual System Migration Service/\(name)\n"
                ldif += "servicePrincipalName: Microsoft Virtual System Migration Service/\(fqdn)\n"
            }
            for value in values[name] ?? [] { ldif += "msDS-AllowedToDelegateTo: \(value)\n" }
            ldif += "\n"
        }
        try ldapModify(ldif)
    }

    /// A manifest with only the directory: block, what import reads.
    func directoryOnlyManifest() throws -> String {
        let file = NSTemporaryDirectory() + "kcdctl-test-\(UUID().uuidString).yaml"
        try "version: 1\n\(simpleDirectory)\n".write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Every value a host needs towards `peers`, for these services and name forms.
    func values(
        to peers: [String], services: [String] = ["Microsoft Virtual System Migration Service", "cifs"],
        forms: [NameForm] = [.short, .fqdn]
    ) -> [String] {
        peers.flatMap { peer in
            services.flatMap { s in forms.map { $0 == .short ? "\(s)/\(peer)" : "\(s)/\(peer.lowercased()).\(domain)" }
            }
        }
    }
}

@Suite("kcdctl import against the Samba AD DC", .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct ImportAgainstSamba {
    let dc = TestDC.shared!

    /// The messy estate of the issue: import → validate → plan shows exactly the expected changes, and the
    /// YAML matches its golden file (names normalised).
    @Test func aMessyEstateImportsToAManifestWhosePlanIsOnlyItsInconsistencies() throws {
        let p = TestDC.names("")[0].uppercased()
        let ou = try dc.makeOU("imp-\(p)")
        let a = ["A1", "A2", "A3"].map { p + $0 }
        let b = ["B1", "B2", "B3"].map { p + $0 }
        let (s1, c1, d1) = (p + "S1", p + "C1", p + "D1")
        let any: UserAccountControl = [.workstationTrustAccount, .trustedToAuthForDelegation]
        var values: [String: [String]] = [:]
        var uac: [String: UserAccountControl] = [:]
        for host in a {
            // Full mesh, both services and forms, SMB storage; A2 in upper case and with a foreign http/ target.
            var v = dc.values(to: a.filter { $0 != host }) + dc.values(to: [s1], services: ["cifs"])
            if host == a[1] { v = v.map { $0.uppercased() } + ["http/web01.\(dc.domain)"] }
            values[host] = v
            uac[host] = any
        }
        for host in b {
            // Kerberos only, short names only; B3 lacks B1.
            values[host] = dc.values(to: b.filter { $0 != host && !(host == b[2] && $0 == b[0]) }, forms: [.short])
        }
        values[c1] = dc.values(to: [s1], services: ["cifs"])
        uac[c1] = [.workstationTrustAccount, .trustedForDelegation]
        try dc.addComputers(a + b + [c1, d1], in: ou, uac: uac, values: values)
        try dc.addComputers([s1], in: ou, hyperV: false)
        let before = try dc.read(a + b + [c1, d1]).mapValues(\.usnChanged)

        let out = temporaryPath("import") + ".yaml"
        let input = try dc.directoryOnlyManifest()
        let r = try kcdctl("import", "-f", input, "--search-base", ou, "--out", out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Wrote \(out): 3 clusters, 7 hosts, 1 storage server; 1 host without delegation"))
        #expect(r.stdout.contains("\(b[2]) lacks delegation to \(b[0]): the first plan will add 2 values"))
        #expect(r.stdout.contains("SECURITY FIX: \(c1) has unconstrained delegation"))
        #expect(try dc.read(a + b + [c1, d1]).mapValues(\.usnChanged) == before, "import wrote to AD")

        let validate = try kcdctl("validate", "-f", out)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        let plan = try kcdctl("plan", "-f", out, "--format", "json")
        #expect(plan.status == 0, "\(plan.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        let changes = try #require(json["changes"] as? [[String: Any]])
        #expect(changes.map { $0["host"] as? String } == [b[2], c1])
        #expect(
            changes.first?["add"] as? [String] == [
                "cifs/\(b[0])", "Microsoft Virtual System Migration Service/\(b[0])",
            ])
        #expect(changes.allSatisfy { ($0["remove"] as? [String])?.isEmpty == true })
        #expect(changes.last?["add"] as? [String] == [])

        // The YAML against its golden file: this run's names and the DC's settings normalised.
        var yaml = try String(contentsOfFile: out, encoding: .utf8)
        for (value, placeholder) in [
            (dc.caFile, "CA_FILE"), (dc.passwordFile, "PASSWORD_FILE"), (dc.bindDN, "BIND_DN"),
            (dc.uri, "URI"), (dc.baseDN, "BASE_DN"), (dc.domain, "DOMAIN"), (p, "P"), (p.lowercased(), "p"),
        ] {
            yaml = yaml.replacingOccurrences(of: value, with: placeholder)
        }
        let golden = GoldenImport.path("import-samba.yaml")
        if ProcessInfo.processInfo.environment["KCDCTL_UPDATE_GOLDEN"] == "1" {
            try yaml.write(toFile: golden, atomically: false, encoding: .utf8)
        }
        #expect(yaml == (try String(contentsOfFile: golden, encoding: .utf8)), "differs from \(golden)")

        // A second import refuses to overwrite, unless --force; the same directory gives the same bytes.
        let again = try kcdctl("import", "-f", input, "--search-base", ou, "--out", out)
        #expect(again.status == 1 && again.stderr.contains("exists: refusing to overwrite it"), "\(again.stderr)")
        let forced = try kcdctl("import", "-f", input, "--search-base", ou, "--out", out, "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        let first = try String(contentsOfFile: out, encoding: .utf8)
        #expect(try kcdctl("import", "-f", input, "--hosts", a[0], "--out", out, "--force").status == 0)
        let viaHosts = try String(contentsOfFile: out, encoding: .utf8)
        #expect(
            viaHosts.contains("\"\(a[0])\"") && !viaHosts.contains("\"\(b[0])\""), "--hosts follows A1's peers only")
        _ = first

        // The graph for scripts.
        let graph = try kcdctl("import", "-f", input, "--search-base", ou, "--format", "json")
        #expect(graph.status == 0, "\(graph.stderr)")
        let g = try #require(try JSONSerialization.jsonObject(with: Data(graph.stdout.utf8)) as? [String: Any])
        #expect((g["hosts"] as? [[String: Any]])?.count == 8)
        #expect((g["unplaced"] as? [String]) == [d1])
        #expect((g["storage"] as? [String]) == [s1])
        let findings = try #require(g["findings"] as? [[String: Any]])
        #expect(findings.first?["severity"] as? String == "security" && findings.first?["subject"] as? String == c1)
    }

    /// Round trip: a hand-written manifest applied, then imported: the imported manifest plans no change.
    @Test func applyThenImportThenPlanShowsNoChanges() throws {
        let p = TestDC.names("")[0].uppercased()
        let ou = try dc.makeOU("rt-\(p)")
        let hosts = ["R1", "R2", "R3", "R4", "R5"].map { p + $0 }
        let storage = p + "RS"
        try dc.addComputers(hosts, in: ou)
        try dc.addComputers([storage], in: ou, hyperV: false)
        let manifest = try dc.manifest(
            """
              - name: rt-a
                mode: any-protocol
                hosts: [\(hosts[0]), \(hosts[1]), \(hosts[2])]
                smbStorage: [\(storage)]
                extraTargets: [http/web.\(dc.domain)]
              - name: rt-b
                mode: kerberos-only
                services: [Microsoft Virtual System Migration Service]
                nameForms: [short]
                hosts: [\(hosts[3]), \(hosts[4])]
            """)
        let applied = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(applied.status == 0, "\(applied.stderr)")

        let out = temporaryPath("import") + ".yaml"
        let r = try kcdctl("import", "-f", try dc.directoryOnlyManifest(), "--search-base", ou, "--out", out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("The first plan changes nothing: 5 hosts in 2 clusters"), "\(r.stdout)")
        let plan = try kcdctl("plan", "-f", out, "--detailed-exitcode")
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("No changes"), "\(plan.stdout)")

        // Without a manifest: --uri and --base-dn with a Kerberos bind from a keytab, written as the directory.
        let fromFlags = temporaryPath("import") + ".yaml"
        let k = try kcdctl(
            "import", "--uri", dc.ldapURI, "--base-dn", dc.baseDN, "--keytab", dc.keytab, "--principal", dc.principal,
            "--search-base", ou, "--out", fromFlags, environment: ["KCDCTL_MANIFEST": ""])
        #expect(k.status == 0, "\(k.stderr)")
        let written = try ManifestLoader.load(path: fromFlags)
        #expect(written.directory.auth.method == .gssapi && written.directory.auth.keytab == dc.keytab)
        #expect(written.directory.uri == dc.ldapURI && written.directory.baseDN == dc.baseDN)
        let gssapiPlan = try kcdctl("plan", "-f", fromFlags, "--detailed-exitcode")
        #expect(gssapiPlan.status == 0, "\(gssapiPlan.stdout)\(gssapiPlan.stderr)")

        let imported = try ManifestLoader.load(path: out)
        let original = try ManifestLoader.load(path: manifest)
        for (i, o) in zip(imported.clusters, original.clusters) {
            #expect(i.hosts == o.hosts && i.mode == o.mode && i.services == o.services && i.nameForms == o.nameForms)
            #expect(i.smbStorage == o.smbStorage && i.extraTargets == o.extraTargets)
        }
    }

    /// 256 Hyper-V hosts in 8 full-mesh clusters of 32 (31,744 values): read in a handful of searches.
    @Test func twoHundredFiftySixHostsImportInBatchedReads() throws {
        let p = TestDC.names("")[0].uppercased()
        let ou = try dc.makeOU("big-\(p)")
        let hosts = (0..<256).map { p + String(format: "H%03d", $0) }
        var values: [String: [String]] = [:]
        var uac: [String: UserAccountControl] = [:]
        for group in stride(from: 0, to: 256, by: 32) {
            let members = Array(hosts[group..<group + 32])
            for host in members {
                values[host] = dc.values(to: members.filter { $0 != host })
                uac[host] = [.workstationTrustAccount, .trustedToAuthForDelegation]
            }
        }
        try dc.addComputers(hosts, in: ou, uac: uac, values: values)

        let out = temporaryPath("import") + ".yaml"
        let clock = ContinuousClock()
        var r: RunResult!
        let time = try clock.measure {
            r = try kcdctl(
                "import", "-f", try dc.directoryOnlyManifest(), "--search-base", ou, "--out", out, "--verbose")
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("8 clusters, 256 hosts"), "\(r.stdout)")
        #expect(r.stdout.contains("The first plan changes nothing: 256 hosts in 8 clusters"))
        let searches = r.stderr.components(separatedBy: "searches=").dropFirst().first.flatMap {
            Int($0.prefix { $0.isNumber })
        }
        // One search for the hosts, one for the domain controllers, two for sPNMappings (rootDSE and the
        // Directory Service object); no named read, since every peer was found by the first.
        #expect(searches == 4, "\(r.stderr)")
        let plan = try kcdctl("plan", "-f", out, "--detailed-exitcode")
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        print("import of 256 hosts (8 × 32, 31,744 values; debug build): \(searches ?? -1) searches, \(time)")
    }
}

enum GoldenImport {
    /// Golden files live with the unit tests' (excluded from the build there).
    static func path(_ name: String) -> String {
        TestDC.packageRoot + "/Tests/KCDCoreTests/Golden/" + name
    }
}
