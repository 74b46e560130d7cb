import Foundation
import KCDCore
import KCDLDAP
import Testing

/// verify's JSON: outcome per target SPN.
struct ProofResult {
    var status: Int32
    var selfTicketForwardable: Bool
    var outcomes: [String: String]
    var matches: Bool
    var text: String
}

@Suite(
    "The KDC as the judge: verify and doctor against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct KDCJudge {
    let dc = TestDC.shared!

    func verify(
        _ manifest: String, host: String, keytab: String, user: String, mustRefuse: String, cifsOnly: Bool = true
    ) throws -> ProofResult {
        var arguments = [
            "verify", "-f", manifest, "--host", host, "--keytab", keytab, "--impersonate", "\(user)@\(dc.realm)",
            "--must-refuse", mustRefuse, "--format", "json",
        ]
        if cifsOnly { arguments += ["--service", "cifs"] }
        let r = try startKcdctl(arguments).wait()
        guard let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("verify printed no JSON (exit \(r.status)): \(r.stderr)")
        }
        let targets = json["targets"] as? [[String: Any]] ?? []
        return ProofResult(
            status: r.status, selfTicketForwardable: json["selfTicketForwardable"] as? Bool ?? false,
            outcomes: Dictionary(
                uniqueKeysWithValues: targets.map { ($0["spn"] as! String, $0["outcome"] as! String) }),
            matches: json["matchesManifest"] as? Bool ?? false, text: r.stdout)
    }

    /// Three keyed hosts in a cluster, one keyed host outside it, and the first host's keytab.
    func lab(mode: DelegationMode = .anyProtocol) throws -> (hosts: [String], outsider: String, keytab: String) {
        let names = TestDC.names("a", "b", "c", "x")
        try dc.addComputers(names, keys: true)
        return (Array(names.prefix(3)), names[3], try dc.exportKeytab(names[0]))
    }

    @Test func afterApplyInAnyProtocolTheKDCGrantsPeersAndRefusesOutsiders() throws {
        let (hosts, outsider, keytab) = try lab()
        let user = TestDC.names("u")[0]
        try dc.addUser(user)
        let manifest = try dc.manifest(hosts: hosts)
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)

        let proof = try verify(manifest, host: hosts[0], keytab: keytab, user: user, mustRefuse: "cifs/\(outsider)")
        #expect(proof.status == 0, "\(proof.text)")
        #expect(proof.selfTicketForwardable)
        for peer in hosts.dropFirst() {
            #expect(proof.outcomes["cifs/\(peer)"] == "granted")
            #expect(proof.outcomes["cifs/\(peer).\(dc.domain)"] == "granted")
        }
        #expect(proof.outcomes["cifs/\(outsider)"] == "refused")

        // All declared targets: Samba's KDC cannot look up SPNs with spaces, a distinct outcome.
        let full = try verify(
            manifest, host: hosts[0], keytab: keytab, user: user, mustRefuse: "cifs/\(outsider)", cifsOnly: false)
        #expect(full.status == 2)
        #expect(full.outcomes["Microsoft Virtual System Migration Service/\(hosts[1])"] == "KDC does not know this SPN")
        #expect(full.outcomes["cifs/\(hosts[1])"] == "granted")

        // Issue 10: a probe the KDC does not know (an IP address in the URI made it `cifs/10.0.0.5`) judges
        // nothing: inconclusive (exit 3), never "does NOT grant what the manifest declares".
        let unknown = try verify(manifest, host: hosts[0], keytab: keytab, user: user, mustRefuse: "cifs/10.0.0.5")
        #expect(unknown.status == 3, "\(unknown.text)")
        #expect(
            unknown.outcomes["cifs/\(hosts[1])"] == "granted"
                && unknown.outcomes["cifs/10.0.0.5"] == "KDC does not know this SPN")
        #expect(unknown.text.contains("\"verdict\" : \"inconclusive\""))
        let text = try kcdctl(
            "verify", "-f", manifest, "--host", hosts[0], "--keytab", keytab, "--impersonate", "\(user)@\(dc.realm)",
            "--must-refuse", "cifs/10.0.0.5", "--service", "cifs")
        #expect(
            text.stdout.contains("Inconclusive: the KDC grants every declared target")
                && !text.stdout.contains("does NOT grant"))
        // With no --must-refuse the default probe is a host of the manifest outside this host's cluster.
        let outsiderManifest = try dc.manifest(
            """
              - name: c
                mode: any-protocol
                hosts: [\(hosts.joined(separator: ", "))]
              - name: other
                mode: any-protocol
                hosts: [\(outsider)]
            """)
        let byDefault = try kcdctl(
            "verify", "-f", outsiderManifest, "--host", hosts[0], "--keytab", keytab, "--impersonate",
            "\(user)@\(dc.realm)",
            "--service", "cifs")
        #expect(
            byDefault.status == 0 && byDefault.stdout.contains("cifs/\(outsider)")
                && byDefault.stdout.contains("refused"), "\(byDefault.stdout)")
    }

    @Test func inKerberosOnlyTheSelfTicketIsNotForwardableAndProxyIsRefused() throws {
        let (hosts, outsider, keytab) = try lab()
        let user = TestDC.names("u")[0]
        try dc.addUser(user)
        let manifest = try dc.manifest(hosts: hosts, mode: .kerberosOnly)
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        let proof = try verify(manifest, host: hosts[0], keytab: keytab, user: user, mustRefuse: "cifs/\(outsider)")
        #expect(proof.status == 2)
        #expect(!proof.selfTicketForwardable)
        #expect(proof.outcomes["cifs/\(hosts[1])"] == "refused")
        #expect(proof.text.contains("\"selfTicket\" : \"granted\""))
    }

    @Test func aHostRemovedFromTheManifestIsNoLongerReachable() throws {
        let (hosts, _, keytab) = try lab()
        let user = TestDC.names("u")[0]
        try dc.addUser(user)
        #expect(try kcdctl("apply", "-f", try dc.manifest(hosts: hosts), "--auto-approve").status == 0)
        let smaller = try dc.manifest(hosts: Array(hosts.prefix(2)))
        #expect(try kcdctl("apply", "-f", smaller, "--auto-approve").status == 0)
        let proof = try verify(smaller, host: hosts[0], keytab: keytab, user: user, mustRefuse: "cifs/\(hosts[2])")
        #expect(proof.status == 0, "\(proof.text)")
        #expect(proof.outcomes["cifs/\(hosts[1])"] == "granted")
        #expect(proof.outcomes["cifs/\(hosts[2])"] == "refused")
    }

    @Test func sensitiveAndProtectedUsersAreReportedAndTheKDCRefusesTheSensitiveOne() throws {
        let (hosts, outsider, keytab) = try lab()
        let names = TestDC.names("s", "p", "g")
        try dc.addUser(names[0], sensitive: true)
        try dc.addUser(names[1], protectedVia: names[2])
        let manifest = try dc.manifest(hosts: hosts)
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)

        let doctor = try kcdctl(
            "doctor", "-f", manifest, "--user", names[0], "--user", "\(names[1])@\(dc.realm)", "--format", "json")
        #expect(doctor.status == 1, "errors found")
        let findings =
            try #require(try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [String: Any])["findings"]
            as? [[String: String]]
        #expect(findings?.contains { $0["subject"] == names[0] && $0["problem"]!.contains("NOT_DELEGATED") } == true)
        #expect(
            findings?.contains {
                $0["subject"] == "\(names[1])@\(dc.realm)"
                    && $0["problem"] == "member of Protected Users (through \(names[2]))"
            } == true)

        let sensitive = try verify(
            manifest, host: hosts[0], keytab: keytab, user: names[0], mustRefuse: "cifs/\(outsider)")
        #expect(
            sensitive.status == 2 && !sensitive.selfTicketForwardable
                && sensitive.outcomes["cifs/\(hosts[1])"] == "refused")

        let protected = try verify(
            manifest, host: hosts[0], keytab: keytab, user: names[1], mustRefuse: "cifs/\(outsider)")
        // Windows KDCs (2012 R2 on) and Samba 4.19 on refuse delegation for Protected Users; Samba 4.17's KDC,
        // measured here, still grants it. Doctor is what reports it on such a KDC.
        withKnownIssue("Samba 4.17's KDC does not enforce Protected Users for S4U2Proxy", isIntermittent: true) {
            #expect(protected.outcomes["cifs/\(hosts[1])"] == "refused")
        }
    }

    @Test func doctorFindsEachConditionCreatedInTheDC() throws {
        let names = TestDC.names("a", "b", "c", "d", "e")
        let (healthy, noMigrationSPN, unconstrained, disabled, duplicate) = (
            names[0], names[1], names[2], names[3], names[4]
        )
        try dc.addComputers(names)
        let missing = TestDC.names("gone")[0]
        // noMigrationSPN registers only HOST/: its cifs/ targets are found through sPNMappings, the Migration Service ones not.
        try dc.ldapModify(
            "dn: \(dc.dn(noMigrationSPN))\nchangetype: modify\nreplace: servicePrincipalName\nservicePrincipalName: HOST/\(noMigrationSPN)\nservicePrincipalName: HOST/\(noMigrationSPN.lowercased()).\(dc.domain)\n"
        )
        try dc.setUserAccountControl(unconstrained, [.workstationTrustAccount, .trustedForDelegation])
        try dc.setUserAccountControl(disabled, [.workstationTrustAccount, .accountDisable])
        // Samba, like AD since 2012 R2, refuses a literal duplicate SPN, but not cifs/X on one account while
        // X registers HOST/X: the KDC then issues cifs/X tickets for the wrong account's key.
        try dc.ldapModify(
            "dn: \(dc.dn(duplicate))\nchangetype: modify\nadd: servicePrincipalName\nservicePrincipalName: cifs/\(healthy)\n"
        )

        let manifest = try dc.manifest(
            """
              - name: a
                mode: any-protocol
                hosts: [\(names.joined(separator: ", ")), \(missing)]
              - name: legacy
                mode: kerberos-only
                hosts: [\(TestDC.names("k")[0])]
            """)
        let r = try kcdctl("doctor", "-f", manifest, "--format", "json")
        #expect(r.status == 1, "errors found: \(r.stderr)")
        let findings =
            try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])["findings"]
            as? [[String: String]]
        func has(_ severity: String, _ subject: String, _ problem: String) -> Bool {
            findings?.contains {
                $0["severity"] == severity && $0["subject"] == subject && $0["problem"]!.contains(problem)
            } == true
        }
        #expect(has("warning", "cluster legacy", "mode kerberos-only"))
        #expect(has("error", missing, "no computer object"))
        #expect(has("error", disabled, "disabled"))
        #expect(has("error", unconstrained, "unconstrained delegation"))
        #expect(
            has(
                "error", "Microsoft Virtual System Migration Service/\(noMigrationSPN)", "no account registers this SPN"
            ))
        #expect(
            !has("error", "cifs/\(noMigrationSPN)", "no account registers"),
            "cifs/ is satisfied by HOST/ through sPNMappings")
        #expect(
            has(
                "error", "cifs/\(healthy.lowercased())",
                "the same SPN is registered on 2 accounts: \([healthy + "$", duplicate + "$"].sorted().joined(separator: ", ")) (counting host/\(healthy.lowercased()), which sPNMappings map it to)"
            ))
        #expect(findings?.allSatisfy { !($0["why"] ?? "").isEmpty && !($0["fix"] ?? "").isEmpty } == true)

        // Drift and the purge reminder, on a manifest whose hosts all exist.
        let present = try dc.manifest(hosts: [healthy, duplicate])
        let drift = try kcdctl("doctor", "-f", present)
        #expect(drift.status == 1, "the duplicate SPN is an error")
        #expect(
            drift.stdout.contains(
                "WARNING \(healthy): AD differs from the manifest: 4 delegation values missing, userAccountControl 0x1000 should be 0x1001000"
            ))
        #expect(drift.stdout.contains("INFO \(healthy): changed 0 min ago"))
        #expect(drift.stdout.contains("fix: run klist -li 0x3e7 purge on \(healthy)"))

        // Issue 10: right after an apply only information is left ("changed 0 min ago"): exit 0, so a CI
        // doctor step after apply passes.
        let clean = TestDC.names("x", "y")
        try dc.addComputers(clean)
        let pair = try dc.manifest(hosts: clean)
        #expect(try kcdctl("doctor", "-f", pair).status == 2, "drift is a warning")
        #expect(try kcdctl("apply", "-f", pair, "--auto-approve").status == 0)
        let fresh = try kcdctl("doctor", "-f", pair)
        #expect(
            fresh.status == 0 && fresh.stdout.contains("INFO \(clean[0]): changed 0 min ago")
                && !fresh.stdout.contains("WARNING"), "\(fresh.stdout)")
    }
}
