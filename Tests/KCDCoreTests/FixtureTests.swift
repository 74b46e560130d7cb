import Foundation
import Testing

@testable import KCDCore

/// The formats kcdctl promises to keep (docs/compatibility.md), pinned by the files in Tests/fixtures, which no
/// later version edits or deletes (Tests/fixtures/README.md):
/// - every manifest of version 1 is read by every 1.x, and means what it meant: its settings and every host's
///   desired delegation are those of its `.expected` file; a refused one is refused with its documented message;
/// - every saved plan is applied by the kcdctl versions the compatibility rule names (its own minor version, and
///   those whose `PlanDocument.compatiblePlanLines` list its line), through the same acceptance as `kcdctl apply PLAN.json`,
///   to the directory it was made against, which then matches its manifest; every other version refuses it with
///   the documented message, before anything is written.
///
/// New fixtures (a new version's plans, a new shape of manifest): `KCDCTL_NEW_FIXTURES=1` writes those that do
/// not exist yet, never over an existing one; review and commit them.
@Suite struct Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures").path
    static let writesNew = ProcessInfo.processInfo.environment["KCDCTL_NEW_FIXTURES"] == "1"

    /// Compares `text` with the fixture file at `path`; writes it only when the file is missing and asked to.
    static func expectFixture(_ text: String, _ path: String) throws {
        if writesNew && !FileManager.default.fileExists(atPath: path) {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }
        let fixture = try #require(contents(path), "no fixture \(path) (KCDCTL_NEW_FIXTURES=1 writes a new one)")
        #expect(text == fixture, "differs from the fixture \(path), which a later version may not change")
    }

    // MARK: Manifests

    @Test(arguments: ["v1-minimal", "v1-every-key", "v1-discovery", "v1-resource-based"])
    func aVersion1ManifestMeansWhatItMeant(name: String) throws {
        let folder = Self.folder + "/manifests"
        let manifest = try ManifestLoader.load(path: "\(folder)/\(name).yaml")
        try Self.expectFixture(Self.describe(manifest, folder: folder), "\(folder)/\(name).expected")
    }

    @Test(arguments: [
        (
            "refused-unknown-key",
            "8:5: cluster 'hv-prod-a' has no 'hosts'\n{}:10:5: unknown key 'hots' in cluster 'hv-prod-a'; expected one of: name, mode, services, nameForms, hosts, smbStorage, extraTargets, prune"
        ),
        ("refused-version-2", "2:10: unsupported manifest version 2; this kcdctl reads version 1"),
        (
            "refused-password",
            "7:5: a password is never written in the manifest: use auth.passwordFile (a file only its owner can read) or the KCDCTL_BIND_PASSWORD environment variable"
        ),
        (
            "refused-resource-based-storage",
            "10:17: cluster 'hv-rbcd' is resource-based: smbStorage is for classic modes (resource-based delegation is written on the target, and kcdctl writes only the cluster's hosts); grant storage servers with a classic cluster or by hand"
        ),
    ])
    func aRefusedManifestIsRefusedWithItsMessage(name: String, message: String) {
        let path = "\(Self.folder)/manifests/\(name).yaml"
        // One line per problem, each FILE:LINE:COLUMN ("{}" stands for the file).
        #expect(
            failure(try ManifestLoader.load(path: path))
                == "\(path):" + message.replacingOccurrences(of: "{}", with: path))
    }

    /// What a manifest means, as text: every setting as loaded (paths relative to the fixture folder), then each
    /// host's desired delegation in `corp.example.com`, where every computer's `dNSHostName` is its own.
    static func describe(_ m: Manifest, folder: String) -> String {
        func path(_ p: String?) -> String {
            guard let p else { return "-" }
            return p.hasPrefix(folder + "/") ? "./" + p.dropFirst(folder.count + 1) : p
        }
        let d = m.directory
        var lines = [
            "directory",
            "  uri: \(d.uri ?? "-")",
            "  baseDN: \(d.baseDN ?? "-")",
            "  domain: \(d.domain ?? "-")",
            "  site: \(d.site ?? "-")",
            "  valueLimit: \(d.valueLimit)",
            "  tls: caFile \(path(d.tls.caFile)), insecureSkipVerify \(d.tls.insecureSkipVerify), "
                + "startTLS \(d.tls.startTLS.map(String.init) ?? "-")",
            "  auth: \(d.auth.method.rawValue), bindDN \(d.auth.bindDN ?? "-"), passwordFile \(path(d.auth.passwordFile)), "
                + "keytab \(path(d.auth.keytab)), principal \(d.auth.principal ?? "-"), minSSF \(d.auth.minimumSSF)",
            "audit.file: \(path(m.auditFile))",
            "plans.verifyKey: \(path(m.planVerifyKey))",
            "clusters",
        ]
        func list(_ items: [String]) -> String { items.isEmpty ? "-" : items.joined(separator: ", ") }
        for c in m.clusters {
            lines += [
                "  \(c.name): \(c.mode.rawValue), prune \(c.prune.rawValue)",
                "    services: \(list(c.services))",
                "    nameForms: \(list(c.nameForms.map(\.rawValue)))",
                "    hosts: \(list(c.hosts))",
                "    smbStorage: \(list(c.smbStorage))",
                "    extraTargets: \(list(c.extraTargets.map(\.value)))",
            ]
        }
        let desired = DesiredState.expand(m, domain: "corp.example.com") { "\($0.lowercased()).corp.example.com" }
        lines.append("desired")
        for host in desired.hosts {
            lines.append(
                "  \(host.name): \(host.mode.rawValue) (\(list(host.clusters))), manages "
                    + list(host.managedServiceClasses.sorted()))
            lines += host.targets.map { "    -> \($0.value)" }
            if host.mode.isResourceBased {
                lines.append(
                    "    allows: \(host.delegators.joined(separator: ", "))"
                        + (host.prunesGrants ? " (removes other computers' kcdctl grants)" : ""))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Saved plans

    /// One saved plan of the fixtures: `<version>-<scenario>.json`.
    struct SavedPlan: CustomStringConvertible {
        var version: String
        var scenario: Scenario
        var file: String { "\(version)-\(scenario.rawValue).json" }
        var path: String { "\(Fixtures.folder)/plans/\(file)" }
        var description: String { file }
    }

    static let savedPlans: [SavedPlan] = [
        SavedPlan(version: "0.1.0", scenario: .anyProtocol),
        SavedPlan(version: "0.2.0", scenario: .anyProtocol),
        SavedPlan(version: "0.2.0", scenario: .kerberosOnlyTargeted),
        SavedPlan(version: "0.2.0", scenario: .resourceBased),
        SavedPlan(version: "0.2.0", scenario: .signed),
    ]

    /// What the plans were made against. Part of the fixtures: never change a scenario, add one.
    enum Scenario: String, CaseIterable {
        /// HV01…HV03 any-protocol with SMB storage and an extra target; HV02 holds a stale value of a managed
        /// class and unconstrained delegation (the plan's security fix).
        case anyProtocol = "any-protocol"
        /// HV01 and HV02 kerberos-only, the plan limited to HV01 (`--target HV01`).
        case kerberosOnlyTargeted = "kerberos-only-targeted"
        /// HV11…HV13 resource-based; HV12's descriptor already holds a grant of a user, which stays.
        case resourceBased = "resource-based"
        /// HV01 and HV02 any-protocol, signed (`plan --sign-key`), verified with `<version>-signing-key.pub`.
        case signed

        static let createdAt = Date(timeIntervalSince1970: 1_795_694_400)  // 2026-11-26T12:00:00Z
        static let domainSID = "S-1-5-21-1004336348-1177238915-682003330"

        var manifest: String {
            let directory = """
                version: 1
                directory:
                  uri: ldaps://dc01.corp.example.com
                  baseDN: DC=corp,DC=example,DC=com
                  auth: { bindDN: svc-kcd@corp.example.com, passwordFile: /etc/kcdctl/bind.pw }
                clusters:

                """
            switch self {
            case .anyProtocol:
                return directory + """
                      - name: hv-prod-a
                        mode: any-protocol
                        hosts: [HV01, HV02, HV03]
                        smbStorage: [SOFS01]
                        extraTargets: [http/other.corp.example.com]

                    """
            case .kerberosOnlyTargeted:
                return directory + """
                      - name: hv-dmz
                        mode: kerberos-only
                        services: [cifs]
                        hosts: [HV01, HV02]

                    """
            case .resourceBased:
                return directory + """
                      - name: hv-rbcd
                        mode: resource-based
                        hosts: [HV11, HV12, HV13]

                    """
            case .signed:
                return directory + """
                      - name: hv-prod-a
                        mode: any-protocol
                        hosts: [HV01, HV02]

                    """
            }
        }

        var targets: [String]? { self == .kerberosOnlyTargeted ? ["HV01"] : nil }

        /// The directory as it was when the plan was made.
        func directory() throws -> MemoryDirectory {
            func sid(_ rid: Int) throws -> SecurityIdentifier { try SecurityIdentifier("\(Self.domainSID)-\(rid)") }
            switch self {
            case .anyProtocol:
                var hv02 = computer("HV02", values: ["cifs/OLD01", "cifs/old01.corp.example.com"])
                hv02.userAccountControl.insert(.trustedForDelegation)
                return MemoryDirectory([computer("HV01"), hv02, computer("HV03"), computer("SOFS01")])
            case .kerberosOnlyTargeted, .signed:
                return MemoryDirectory([computer("HV01"), computer("HV02")])
            case .resourceBased:
                var hosts = try ["HV11", "HV12", "HV13"].enumerated().map { i, name in
                    var c = computer(name)
                    c.objectSid = try sid(1111 + i)
                    return c
                }
                // A user's grant (not kcdctl's to manage) on HV12.
                hosts[1].allowedToActOnBehalf = try SecurityDescriptor.kcdctl(allowing: [sid(2001)]).encoded()
                let directory = MemoryDirectory(hosts)
                directory.otherAccounts[try sid(2001)] = SIDOwner(accountName: "alice", isComputer: false)
                return directory
            }
        }
    }

    /// Where a plan is applied from: its manifest is the one it embeds, the DC the one it names.
    static func workflow(_ saved: SavedPlan, kcdctl: String) throws -> ApplyWorkflow {
        let verifyKey = saved.scenario == .signed ? "\(folder)/plans/\(saved.version)-signing-key.pub" : nil
        return try ApplyWorkflow(
            ApplyRequest(
                planFile: saved.path, manifestFile: nil, targets: nil, maxAge: .greatestFiniteMagnitude,
                verifyKey: verifyKey, autoApprove: false, kcdctlVersion: kcdctl),
            now: Scenario.createdAt)
    }

    /// The plan applied to the directory it was made against: every host written, and a re-read matches the
    /// manifest (for the hosts the plan was limited to).
    static func expectApplies(_ saved: SavedPlan, kcdctl: String) throws {
        let workflow = try workflow(saved, kcdctl: kcdctl)
        let directory = try saved.scenario.directory()
        let reconciliation = Reconciliation(
            manifest: workflow.manifest, domain: "corp.example.com", directory: directory)
        let proposal = try workflow.proposal(
            reconciliation, uri: "ldaps://dc01.corp.example.com", baseDN: "DC=corp,DC=example,DC=com")
        #expect(!proposal.plan.isEmpty)
        let outcome = try workflow.apply(proposal, reconciliation, audit: nil) { _ in }
        #expect(outcome.status == .success, "\(saved)")
        #expect(outcome.report.applied.count == proposal.plan.changes.count, "\(saved)")
        #expect(outcome.remaining?.isEmpty == true, "\(saved): the directory does not match the manifest after it")
    }

    /// The message `apply` refuses a plan of another minor version with (docs/compatibility.md).
    static func refusal(_ saved: SavedPlan, kcdctl: String, lines: String) -> String {
        "\(saved.path): the plan was made by kcdctl '\(saved.version)'; kcdctl \(kcdctl) applies saved plans made by "
            + "kcdctl \(lines) only (docs/compatibility.md): make a new plan with this kcdctl; nothing was written"
    }

    @Test(arguments: savedPlans)
    func aSavedPlanIsAppliedByTheVersionsThatPromiseIt(saved: SavedPlan) throws {
        try Self.expectApplies(saved, kcdctl: saved.version)
        for kcdctl in ["0.2.0", "0.2.9", "0.2.1-dev+g1a2b3c4"] { try Self.expectApplies(saved, kcdctl: kcdctl) }
    }

    /// This build, whatever its version: it applies the plan, or refuses it with the documented message (once a
    /// later minor version no longer lists the plan's line in `compatiblePlanLines`).
    @Test(arguments: savedPlans)
    func thisBuildAppliesOrRefusesWithTheDocumentedMessage(saved: SavedPlan) throws {
        let running = BuildInfo.current.version
        let line = try #require(SemanticVersion(saved.version)).minorLine
        let lines = try #require(PlanDocument.planLines(appliedBy: running), "\(running) is not a semantic version")
        if lines.contains(line) {
            try Self.expectApplies(saved, kcdctl: running)
        } else {
            let accepted = lines.map { "\($0).x" }.joined(separator: " and ")
            #expect(
                failure(try Self.workflow(saved, kcdctl: running))
                    == Self.refusal(saved, kcdctl: running, lines: accepted))
        }
    }

    @Test(arguments: savedPlans)
    func anotherMinorVersionRefusesIt(saved: SavedPlan) throws {
        for (kcdctl, lines) in [("0.3.0", "0.3.x"), ("1.0.0", "1.0.x"), ("0.3.0-dev+g1a2b3c4", "0.3.x")] {
            #expect(
                failure(try Self.workflow(saved, kcdctl: kcdctl))
                    == Self.refusal(saved, kcdctl: kcdctl, lines: lines))
        }
    }

    /// Writes the saved plans of `savedPlans` that do not exist yet (with KCDCTL_NEW_FIXTURES=1), as `kcdctl plan
    /// --out` would have on the day: a new version's fixtures are its own plans of each scenario.
    @Test(.enabled(if: Fixtures.writesNew)) func writeMissingPlanFixtures() throws {
        for saved in Self.savedPlans where !FileManager.default.fileExists(atPath: saved.path) {
            let scenario = saved.scenario
            let manifest = try ManifestLoader.parse(scenario.manifest, file: "/etc/kcdctl/kcdctl.yaml")
            let plan = try Reconciliation(
                manifest: manifest, domain: "corp.example.com", directory: try scenario.directory()
            ).plan(targets: scenario.targets)
            var document = PlanDocument(
                plan,
                .init(
                    kcdctlVersion: saved.version, createdAt: Scenario.createdAt,
                    manifestPath: "/etc/kcdctl/kcdctl.yaml", manifestSHA256: Digest.sha256(scenario.manifest),
                    manifestContent: scenario.manifest, uri: "ldaps://dc01.corp.example.com",
                    baseDN: "DC=corp,DC=example,DC=com", targets: scenario.targets))
            if scenario == .signed {
                let key = PlanSigningKey()
                try key.verifyingKey.pem.write(
                    toFile: "\(Self.folder)/plans/\(saved.version)-signing-key.pub", atomically: false,
                    encoding: .utf8)
                try document.sign(with: key)
            }
            try document.encoded().write(toFile: saved.path, atomically: false, encoding: .utf8)
        }
    }
}
