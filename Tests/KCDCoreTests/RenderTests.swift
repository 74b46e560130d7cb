import Foundation
import Testing

@testable import KCDCore

/// One host to change (adds, a removal, a security fix), one unchanged, one warning.
func samplePlan() throws -> Plan {
    let m = manifest(Cluster(name: "a", mode: .anyProtocol, services: ["cifs"], hosts: ["HV01", "HV02", "HV03"]))
    return try Reconciler.plan(
        m, domain: "corp.example.com",
        observed: [
            computer(
                "HV01", uac: [.workstationTrustAccount, .trustedForDelegation],
                values: ["cifs/HV02", "cifs/HV09", "http/web01"]),
            computer(
                "HV02", uac: rightUAC,
                values: ["cifs/HV01", "cifs/hv01.corp.example.com", "cifs/HV03", "cifs/hv03.corp.example.com"]),
            computer(
                "HV03", uac: rightUAC,
                values: ["cifs/HV01", "cifs/hv01.corp.example.com", "cifs/HV02", "cifs/hv02.corp.example.com"],
                spns: ["HOST/HV03"]),
        ], spnMappings: cifsMapping)
}

@Suite struct Rendering {
    @Test func text() throws {
        #expect(
            PlanText.render(try samplePlan()) == """
                ~ HV01  CN=HV01,CN=Computers,DC=corp,DC=example,DC=com
                    + msDS-AllowedToDelegateTo: cifs/hv02.corp.example.com
                    + msDS-AllowedToDelegateTo: cifs/HV03
                    + msDS-AllowedToDelegateTo: cifs/hv03.corp.example.com
                    - msDS-AllowedToDelegateTo: cifs/HV09
                    ~ userAccountControl: 0x81000 -> 0x1001000
                        + TRUSTED_TO_AUTH_FOR_DELEGATION  (constrained delegation: use any authentication protocol)
                        - TRUSTED_FOR_DELEGATION  (unconstrained delegation)  SECURITY FIX

                Warnings:
                  ! cifs/hv03.corp.example.com: not registered on HV03 (nor through sPNMappings): delegation to it cannot work until the SPN is registered

                Plan: 1 host to change (3 values to add, 1 to remove, 1 userAccountControl change, 1 security fix), 2 unchanged.

                """)
    }

    @Test func noChanges() throws {
        let p = Plan(changes: [], unchanged: ["HV01", "HV02"], warnings: [])
        #expect(PlanText.render(p) == "No changes: 2 hosts match the manifest.\n")
    }

    @Test func json() throws {
        let context = PlanDocument.Context(
            kcdctlVersion: "9.9", createdAt: Date(timeIntervalSince1970: 1_800_000_000),
            manifestPath: "/etc/kcdctl/m.yaml",
            manifestSHA256: Digest.sha256("manifest"), manifestContent: "manifest", uri: "ldaps://dc01",
            baseDN: "DC=corp,DC=example,DC=com")
        let text = PlanDocument(try samplePlan(), context).encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "kcdctl-plan" && object["formatVersion"] as? Int == 2)
        #expect(object["createdAt"] as? String == "2027-01-15T08:00:00Z")
        #expect((object["directory"] as? [String: String])?["baseDN"] == "DC=corp,DC=example,DC=com")
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        let c = changes[0]
        #expect(c["host"] as? String == "HV01")
        #expect(c["dn"] as? String == "CN=HV01,CN=Computers,DC=corp,DC=example,DC=com")
        #expect(c["add"] as? [String] == ["cifs/hv02.corp.example.com", "cifs/HV03", "cifs/hv03.corp.example.com"])
        #expect(c["remove"] as? [String] == ["cifs/HV09"])
        #expect(c["securityFix"] as? Bool == true)
        let observed = try #require(c["observed"] as? [String: Any])
        #expect(observed["msDS-AllowedToDelegateTo"] as? [String] == ["cifs/HV02", "cifs/HV09", "http/web01"])
        #expect(observed["userAccountControl"] as? Int == 0x81000)
        let uac = try #require(c["userAccountControl"] as? [String: Any])
        #expect(uac["from"] as? Int == 0x81000 && uac["to"] as? Int == 0x1001000)
        #expect(uac["clearedFlags"] as? [String] == ["TRUSTED_FOR_DELEGATION"])
        #expect(object["unchanged"] as? [String] == ["HV02", "HV03"])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["hostsToChange"] == 1 && summary["valuesToAdd"] == 3 && summary["valuesToRemove"] == 1)
        #expect(PlanDocument(try samplePlan(), context).encoded() == text, "stable bytes")
    }

    @Test func markdown() throws {
        let m = manifest(Cluster(name: "a", mode: .anyProtocol, services: ["cifs"], hosts: ["HV01", "HV02", "HV03"]))
        #expect(
            PlanMarkdown.render(try samplePlan(), manifest: m, directory: "ldaps://dc01") == """
                ### kcdctl plan for `ldaps://dc01`

                **Plan: 1 host to change (3 values to add, 1 to remove, 1 userAccountControl change, 1 security fix), 2 unchanged.**

                #### Cluster `a` (any-protocol)

                | Host | Add | Remove | userAccountControl |
                |---|---|---|---|
                | **HV01** | 3 | 1 | `0x81000` → `0x1001000`<br>+TRUSTED_TO_AUTH_FOR_DELEGATION −TRUSTED_FOR_DELEGATION **SECURITY FIX** |

                Unchanged: `HV02`, `HV03`

                **Warnings**

                - `cifs/hv03.corp.example.com`: not registered on HV03 (nor through sPNMappings): delegation to it cannot work until the SPN is registered

                <details><summary>HV01: 3 to add, 1 to remove</summary>

                - add `cifs/hv02.corp.example.com`
                - add `cifs/HV03`
                - add `cifs/hv03.corp.example.com`
                - remove `cifs/HV09`

                </details>

                """)
    }

    /// Issue 10: a 20-host cluster's Markdown was 67,967 characters, over what GitHub and GitLab accept.
    @Test(arguments: [4, 20, 64])
    func markdownStaysWithinItsBudget(hosts count: Int) throws {
        let names = (1...count).map { String(format: "HV%02d", $0) }
        let m = manifest(Cluster(name: "big", mode: .anyProtocol, hosts: names))
        let p = try Reconciler.plan(
            m, domain: "corp.example.com", observed: names.map { computer($0) }, spnMappings: cifsMapping)
        let md = PlanMarkdown.render(p, manifest: m, directory: "ldaps://dc01")
        #expect(md.unicodeScalars.count <= PlanMarkdown.defaultBudget)
        #expect(
            md.contains("| **\(names[count - 1])** | \((count - 1) * 4) | 0 |"), "every host is in the summary table")
        let text = PlanText.render(p)
        print(
            "markdown \(count) hosts: \(md.unicodeScalars.count) characters; text: \(text.split(separator: "\n").count) lines, \(text.utf8.count) bytes"
        )
        if count > 4 {
            // 20 hosts of 76 values each no longer fit whole: the table does, the rest is cut at a host.
            #expect(md.contains("does not fit in 60000 characters: see the saved plan (`kcdctl show PLAN.json`)._"))
        } else {
            #expect(
                !md.contains("does not fit")
                    && md.contains("<details><summary>\(names[0]): \((count - 1) * 4) to add, 0 to remove</summary>"))
        }
        #expect(
            PlanMarkdown.render(p, manifest: m, directory: "ldaps://dc01", budget: 5_000).unicodeScalars.count <= 5_000)
    }

    @Test func colorsOnlyWhenAsked() throws {
        let plain = PlanText.render(try samplePlan())
        let colored = PlanText.render(try samplePlan(), color: true)
        #expect(!plain.contains("\u{1B}"))
        #expect(
            colored.contains("\u{1B}[32m    + msDS") == false
                && colored.contains("    \u{1B}[32m+ msDS-AllowedToDelegateTo: cifs/HV03\u{1B}[0m"))
        #expect(colored.replacingOccurrences(of: "\u{1B}\\[[0-9]+m", with: "", options: .regularExpression) == plain)
    }

    @Test func driftMetrics() throws {
        let text = DriftMetrics.render(
            .init(plan: try samplePlan(), finished: 1_800_000_000.5, duration: 0.0421, manifest: "/etc/k\"m.yaml"))
        #expect(text.contains("# TYPE kcdctl_drift_hosts gauge\nkcdctl_drift_hosts{manifest=\"/etc/k\\\"m.yaml\"} 1\n"))
        #expect(text.contains("kcdctl_drift_success{manifest=\"/etc/k\\\"m.yaml\"} 1\n"))
        #expect(text.contains("kcdctl_drift_values_missing{manifest=\"/etc/k\\\"m.yaml\"} 3\n"))
        #expect(text.contains("kcdctl_drift_values_extra{manifest=\"/etc/k\\\"m.yaml\"} 1\n"))
        #expect(text.contains("kcdctl_drift_last_run_timestamp_seconds{manifest=\"/etc/k\\\"m.yaml\"} 1800000000.5\n"))
        #expect(text.contains("kcdctl_drift_duration_seconds{manifest=\"/etc/k\\\"m.yaml\"} 0.042\n"))
        let failed = DriftMetrics.render(.init(plan: nil, finished: 1, duration: 2, manifest: "m"))
        #expect(failed.contains("kcdctl_drift_success{manifest=\"m\"} 0\n") && !failed.contains("kcdctl_drift_hosts"))
    }

    @Test func showDescribesTheDelegationTab() {
        #expect(
            ComputerText.delegation(computer("A", uac: [.workstationTrustAccount, .trustedForDelegation])).hasPrefix(
                "UNCONSTRAINED"))
        #expect(
            ComputerText.delegation(computer("A", uac: rightUAC, values: ["cifs/B"])).hasSuffix(
                "use any authentication protocol"))
        #expect(ComputerText.delegation(computer("A", values: ["cifs/B"])).hasSuffix("use Kerberos only"))
        #expect(ComputerText.delegation(computer("A")) == "not trusted for delegation")
    }
}

/// Issue 9, finding 3: a value can make a review comment lie only if Markdown acts on it.
@Suite struct HostileValuesInReview {
    func markdown(_ values: [String], cluster: String = "a") throws -> String {
        let m = manifest(
            Cluster(
                name: cluster, mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["HV01", "HV02"]))
        let p = try Reconciler.plan(
            m, domain: "corp.example.com",
            observed: [
                computer("HV01", values: values), computer("HV02", values: ["cifs/HV01"]),
            ], spnMappings: cifsMapping)
        return PlanMarkdown.render(p, manifest: m, directory: "ldaps://dc01")
    }

    @Test func backticksPipesAndLineBreaksInValuesAreShownNotActedOn() throws {
        let md = try markdown(["cifs/x` | **approved** | `y", "cifs/a\nb", "cifs/<img src=x>"])
        #expect(!md.contains("**approved**"))
        #expect(
            md.contains("- remove <code>cifs/x&#96; &#124; &#42;&#42;approved&#42;&#42; &#124; &#96;y</code>\n"),
            "\(md)")
        #expect(md.contains("- remove <code>cifs/a&#92;x0ab</code>\n"))
        #expect(md.contains("- remove <code>cifs/&#60;img src=x&#62;</code>\n"))
        #expect(md.contains("- add `cifs/HV02`\n"), "plain values stay readable code spans")
        // Every table row still has exactly its five pipes.
        for row in md.split(separator: "\n") where row.hasPrefix("| **") {
            #expect(row.filter { $0 == "|" }.count == 5, "\(row)")
        }
    }

    @Test func controlCharactersInTextPlansAreEscaped() throws {
        let m = pair()
        let p = try plan(
            m, [computer("HV01", values: ["cifs/\u{1B}[2J\u{1B}[32mok"]), computer("HV02", values: ["cifs/HV01"])])
        let text = PlanText.render(p)
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("- msDS-AllowedToDelegateTo: cifs/\\x1b[2J\\x1b[32mok"))
    }
}

/// Issue 10: one 64-host cluster gave a 16,387-line text plan. Plans of more than 20 hosts are compact unless
/// --detailed: the same change on many hosts is one entry, values are capped per entry.
@Suite struct CompactTextPlans {
    func cluster(_ count: Int, converged: Int = 0) throws -> Plan {
        let names = (1...count).map { String(format: "HV%02d", $0) }
        let m = manifest(Cluster(name: "big", mode: .anyProtocol, hosts: names))
        let done = Array(names.prefix(converged))
        // The first `converged` hosts already delegate to each other (an existing cluster); the rest are new.
        let observed = names.map { name in
            done.contains(name)
                ? computer(
                    name, uac: rightUAC,
                    values: done.filter { $0 != name }.flatMap { peer in
                        Manifest.defaultServices.flatMap {
                            ["\($0)/\(peer)", "\($0)/\(peer.lowercased()).corp.example.com"]
                        }
                    })
                : computer(name)
        }
        return try Reconciler.plan(m, domain: "corp.example.com", observed: observed, spnMappings: cifsMapping)
    }

    @Test func addingAHostToA63HostClusterIsTwoEntries() throws {
        let p = try cluster(64, converged: 63)
        let text = PlanText.render(p, detailed: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(text.contains("~ HV01, HV02, "), "\(text.prefix(400))")
        #expect(text.contains(", HV63  (63 hosts, the same change each)\n    + msDS-AllowedToDelegateTo: cifs/HV64\n"))
        #expect(text.contains("~ HV64  CN=HV64,CN=Computers,DC=corp,DC=example,DC=com\n"))
        #expect(text.contains("    … and 244 more values to add (kcdctl plan --detailed lists them)\n"))
        #expect(lines.count < 30, "\(lines.count) lines")
        let detailed = PlanText.render(p, detailed: true)
        #expect(detailed.split(separator: "\n").count > 500)
        print(
            "text, 64 hosts, one added: compact \(lines.count) lines / \(text.utf8.count) bytes, detailed \(detailed.split(separator: "\n").count) lines / \(detailed.utf8.count) bytes"
        )
    }

    @Test func aNewClusterOf64IsOneEntryPerHostWithCappedValues() throws {
        let p = try cluster(64)
        let text = PlanText.render(p, detailed: false)
        #expect(text.components(separatedBy: "\n~ ").count + (text.hasPrefix("~ ") ? 0 : -1) == 64)
        #expect(
            text.hasSuffix(
                "Cluster big: 64 hosts to change, 16128 values to add, 0 to remove.\n\nPlan: 64 hosts to change (16128 values to add, 0 to remove, 64 userAccountControl changes), 0 unchanged.\n"
            ))
        print(
            "text, new 64-host cluster: compact \(text.split(separator: "\n").count) lines / \(text.utf8.count) bytes")
    }

    @Test func twentyHostsOrFewerAreAlwaysDetailed() throws {
        let p = try cluster(20)
        #expect(PlanText.render(p, detailed: false) == PlanText.render(p, detailed: true))
    }
}

/// Issue 10: golden review outputs for a new cluster of 4, 20 and 64 hosts, as a reviewer reads them (text as
/// `kcdctl plan` prints it, compact above 20 hosts; Markdown within its budget). KCDCTL_UPDATE_GOLDEN=1 rewrites
/// Tests/KCDCoreTests/Golden/ after a deliberate change of format; review the diff.
@Suite struct GoldenReviewOutputs {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        .path

    @Test(arguments: [4, 20, 64])
    func reviewOutputsMatchTheirGoldenFiles(hosts count: Int) throws {
        let names = (1...count).map { String(format: "HV%02d", $0) }
        let m = manifest(Cluster(name: "hv-prod-a", mode: .anyProtocol, hosts: names))
        let p = try Reconciler.plan(
            m, domain: "corp.example.com", observed: names.map { computer($0) }, spnMappings: cifsMapping)
        let outputs = [
            ("plan-\(count).txt", PlanText.render(p, detailed: false)),
            (
                "plan-\(count).md",
                PlanMarkdown.render(
                    p, manifest: m, directory: "ldaps://dc01.corp.example.com (DC=corp,DC=example,DC=com)")
            ),
        ]
        for (name, output) in outputs {
            let path = Self.folder + "/" + name
            if ProcessInfo.processInfo.environment["KCDCTL_UPDATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
                try output.write(toFile: path, atomically: false, encoding: .utf8)
            }
            let golden = try String(contentsOfFile: path, encoding: .utf8)
            #expect(output == golden, "\(name) differs from its golden file (KCDCTL_UPDATE_GOLDEN=1 rewrites it)")
        }
    }
}
