import Foundation
import Testing

@testable import KCDCore

/// Resource-based constrained delegation in the core: the plan allows exactly the cluster's other hosts on each
/// host's descriptor, keeps every other ACE, removes only computer grants kcdctl's form wrote (prune: managed),
/// switches to and from classic modes in one apply each, and the write invariant refuses anything else.
@Suite struct ResourceBasedTests {
    static let domainSID = "S-1-5-21-1004336348-1177238915-682003330"
    static func sid(_ rid: Int) -> SecurityIdentifier { try! SecurityIdentifier("\(domainSID)-\(rid)") }

    /// HV01…HV03 (RIDs 1101…1103) with no delegation, and a computer OLD (1199) outside the manifest.
    static func directory() -> MemoryDirectory {
        let hosts = ["HV01", "HV02", "HV03", "OLD"].enumerated().map { i, name in
            var c = computer(name)
            c.objectSid = sid(name == "OLD" ? 1199 : 1101 + i)
            return c
        }
        return MemoryDirectory(hosts)
    }

    static func rbcd(_ hosts: String..., prune: Prune = .managed) -> Manifest {
        manifest(Cluster(name: "rb", mode: .resourceBased, hosts: hosts, prune: prune))
    }

    func reconciliation(_ m: Manifest, _ d: MemoryDirectory) -> Reconciliation {
        Reconciliation(manifest: m, domain: "corp.example.com", directory: d)
    }

    func grants(_ d: MemoryDirectory, _ host: String) throws -> [SecurityIdentifier] {
        guard let bytes = d.objects[host.lowercased()]?.allowedToActOnBehalf else { return [] }
        return try SecurityDescriptor(decoding: bytes).kcdctlGrants
    }

    /// Apply the plan of `m` to `d`, then plan again: nothing left to do.
    @discardableResult
    func converge(_ m: Manifest, _ d: MemoryDirectory) throws -> Plan {
        let r = reconciliation(m, d)
        let plan = try r.plan()
        let report = try r.apply(plan)
        #expect(report.isComplete && report.applied.count == plan.changes.count)
        #expect(try r.plan().isEmpty, "a second plan is not empty")
        return plan
    }

    @Test func eachHostAllowsTheOthersAndASecondPlanIsEmpty() throws {
        let d = Self.directory()
        let plan = try converge(Self.rbcd("HV01", "HV02", "HV03"), d)
        #expect(plan.changes.map(\.host) == ["HV01", "HV02", "HV03"])
        #expect(plan.changes[0].resourceBased?.allow.map(\.accountName) == ["HV02$", "HV03$"])
        #expect(plan.changes[0].add.isEmpty && plan.changes[0].userAccountControl == nil)
        #expect(plan.summary.valuesToAdd == 6)
        #expect(try grants(d, "HV01") == [Self.sid(1102), Self.sid(1103)])
        // The value written is kcdctl's form exactly.
        #expect(
            d.objects["hv02"]?.allowedToActOnBehalf
                == (try SecurityDescriptor.kcdctl(allowing: [Self.sid(1101), Self.sid(1103)]).encoded()))
        let text = PlanText.render(plan)
        #expect(
            text.contains("    + msDS-AllowedToActOnBehalfOfOtherIdentity: allow HV02$ (\(Self.domainSID)-1102)\n"),
            "\(text)")
    }

    /// A user's grant (even of kcdctl's exact form) and another ACE type survive every plan; dropping HV03 from
    /// the manifest revokes its grant only; OLD, a computer granted in kcdctl's form, is revoked under prune:
    /// managed and kept under prune: none.
    @Test func onlyComputerGrantsOfKcdctlsFormAreRemoved() throws {
        let d = Self.directory()
        let user = Self.sid(1500)
        d.otherAccounts[user] = SIDOwner(accountName: "alice", isComputer: false)
        try converge(Self.rbcd("HV01", "HV02", "HV03"), d)
        // Someone adds alice and OLD to HV01, and a deny ACE.
        var hv01 = try SecurityDescriptor(decoding: d.objects["hv01"]!.allowedToActOnBehalf!)
            .updatingKcdctlGrants(adding: [user, Self.sid(1199)], removing: [])
        let deny = SecurityDescriptor.ACE.other(
            type: 0x01, flags: 0, bytes: [0xFF, 0x01, 0x0F, 0x00] + Self.sid(1300).bytes)
        hv01.dacl!.entries.append(deny)
        d.objects["hv01"]!.allowedToActOnBehalf = try hv01.encoded()

        let keep = try reconciliation(Self.rbcd("HV01", "HV02", "HV03", prune: .none), d).plan()
        #expect(keep.isEmpty)

        let plan = try converge(Self.rbcd("HV01", "HV02"), d)
        let hv01Change = try #require(plan.changes.first { $0.host == "HV01" })
        #expect(hv01Change.resourceBased?.revoke.map(\.sid) == [Self.sid(1103), Self.sid(1199)])
        #expect(hv01Change.resourceBased?.revoke.map(\.accountName) == ["HV03$", "OLD$"])
        let after = try SecurityDescriptor(decoding: d.objects["hv01"]!.allowedToActOnBehalf!)
        #expect(after.kcdctlGrants == [Self.sid(1102), user])
        #expect(after.dacl!.entries.contains(deny))
        // HV03 left the manifest: kcdctl no longer writes its object (its own grants stay).
        #expect(try grants(d, "HV03") == [Self.sid(1101), Self.sid(1102)])
    }

    /// any-protocol → resource-based → any-protocol, one apply each: the classic values and the protocol
    /// transition bit go when switching to resource-based, the grants of managed hosts when switching back.
    @Test func switchingModesConvergesInOneApplyEach() throws {
        let d = Self.directory()
        let classic = manifest(Cluster(name: "rb", mode: .anyProtocol, hosts: ["HV01", "HV02"]))
        try converge(classic, d)
        #expect(d.objects["hv01"]!.allowedToDelegateTo.count == 4)

        let toRBCD = try converge(Self.rbcd("HV01", "HV02"), d)
        #expect(toRBCD.changes[0].remove.count == 4 && toRBCD.changes[0].userAccountControl != nil)
        #expect(d.objects["hv01"]!.allowedToDelegateTo.isEmpty)
        #expect(!d.objects["hv01"]!.userAccountControl.contains(.trustedToAuthForDelegation))
        #expect(try grants(d, "HV01") == [Self.sid(1102)])

        let back = try converge(classic, d)
        #expect(back.changes[0].resourceBased?.revoke.map(\.sid) == [Self.sid(1102)])
        #expect(back.changes[0].resourceBased?.to == nil, "no grant remains: the attribute is deleted")
        #expect(d.objects["hv01"]!.allowedToActOnBehalf == nil)
        #expect(d.objects["hv01"]!.allowedToDelegateTo.count == 4)
    }

    /// A descriptor that does not decode stops the plan, naming the host; nothing is written. On a host in a
    /// classic mode it is left alone.
    @Test func aCorruptDescriptorIsAnErrorNamingTheHost() throws {
        let d = Self.directory()
        d.objects["hv02"]!.allowedToActOnBehalf = [1, 0, 4, 0x80, 0xFF]
        #expect {
            try reconciliation(Self.rbcd("HV01", "HV02"), d).plan()
        } throws: { error in
            let e = error as? ResourceBasedDelegationError
            return e?.host == "HV02" && e?.description.contains("is not a valid security descriptor") == true
                && e?.description.hasSuffix("nothing was changed") == true
        }
        #expect(d.writes.isEmpty)
        let classic = try reconciliation(manifest(Cluster(name: "c", mode: .anyProtocol, hosts: ["HV01", "HV02"])), d)
            .plan()
        #expect(classic.changes.allSatisfy { $0.resourceBased == nil })
    }

    @Test func aDelegatorWithoutSIDIsAnError() throws {
        let d = Self.directory()
        d.objects["hv01"]!.objectSid = nil
        #expect(
            throws: ResourceBasedDelegationError(
                host: "HV02", problem: "HV01, which it must allow, has no readable objectSid")
        ) {
            try reconciliation(Self.rbcd("HV01", "HV02"), d).plan()
        }
    }

    /// The invariant: a grant of a SID the manifest does not declare, the revocation of a user's grant, or a new
    /// value that touches another ACE are refused whole.
    @Test func theInvariantRefusesUndeclaredGrantsAndOtherACEs() throws {
        let d = Self.directory()
        let m = Self.rbcd("HV01", "HV02")
        let r = reconciliation(m, d)
        let plan = try r.plan()
        let invariant = WriteInvariant(manifest: m, domain: "corp.example.com", observed: Array(d.objects.values))
        try invariant.check(plan)

        var forged = plan
        let evil = Self.sid(512)  // Domain Admins
        forged.changes[0].resourceBased!.allow.append(.init(sid: evil, accountName: "Domain Admins"))
        forged.changes[0].resourceBased!.to = try SecurityDescriptor.kcdctl(allowing: [Self.sid(1102), evil]).encoded()
        #expect(throws: InvariantViolation.self) { try invariant.check(forged) }

        var other = plan
        var descriptor = SecurityDescriptor.kcdctl(allowing: [Self.sid(1102)])
        descriptor.owner = Self.sid(1500)
        other.changes[0].resourceBased!.to = try descriptor.encoded()
        #expect(throws: InvariantViolation.self) { try invariant.check(other) }

        // alice's grant may not be revoked, even in kcdctl's form and under prune: managed.
        let user = Self.sid(1500)
        d.objects["hv01"]!.allowedToActOnBehalf = try SecurityDescriptor.kcdctl(allowing: [user]).encoded()
        let owners = [user: SIDOwner(accountName: "alice", isComputer: false)]
        let withUser = WriteInvariant(
            manifest: m, domain: "corp.example.com", observed: Array(d.objects.values), sidOwners: owners)
        let revoke = HostChange(
            host: "HV01", dn: d.objects["hv01"]!.dn, mode: .resourceBased, add: [], remove: [],
            userAccountControl: nil, observed: d.objects["hv01"]!,
            resourceBased: ResourceBasedChange(
                allow: [.init(sid: Self.sid(1102), accountName: nil)], revoke: [.init(sid: user, accountName: "alice")],
                from: d.objects["hv01"]!.allowedToActOnBehalf,
                to: try SecurityDescriptor.kcdctl(allowing: [Self.sid(1102)]).encoded()))
        #expect(throws: InvariantViolation.self) {
            try withUser.check(Plan(changes: [revoke], unchanged: [], warnings: []))
        }
    }

    /// A saved plan carries the grants and the value; read back it is the same plan, and a classic plan's JSON
    /// does not change.
    @Test func aSavedPlanRoundTrips() throws {
        let d = Self.directory()
        let plan = try reconciliation(Self.rbcd("HV01", "HV02"), d).plan()
        let context = PlanDocument.Context(
            kcdctlVersion: "test", createdAt: Date(timeIntervalSince1970: 0), manifestPath: "m.yaml",
            manifestSHA256: "", manifestContent: "", uri: "ldaps://dc", baseDN: "DC=corp,DC=example,DC=com")
        let document = PlanDocument(plan, context)
        let decoded = try JSONDecoder().decode(PlanDocument.self, from: Data(try JSONOutput.encode(document)))
        let back = try decoded.plan
        #expect(back.changes.map(\.resourceBased) == plan.changes.map(\.resourceBased))
        let json = String(decoding: try JSONOutput.encode(document), as: UTF8.self)
        #expect(json.contains("\"resourceBased\""))
        let classic = try reconciliation(manifest(Cluster(name: "c", mode: .anyProtocol, hosts: ["HV01", "HV02"])), d)
            .plan()
        let classicJSON = String(
            decoding: try JSONOutput.encode(PlanDocument(classic, context)), as: UTF8.self)
        #expect(!classicJSON.contains("resourceBased") && !classicJSON.contains("ActOnBehalf"))
    }
    /// doctor: a resource-based host reaches its peers' SPNs too, so a peer that does not register one is an
    /// error, as for a classic cluster.
    @Test func doctorChecksThePeersSPNsOfAResourceBasedCluster() throws {
        let d = Self.directory()
        d.objects["hv02"]!.servicePrincipalNames = ["HOST/HV02", "HOST/hv02.corp.example.com"]
        let findings = try Doctor.examine(
            Self.rbcd("HV01", "HV02"), domain: "corp.example.com", users: [], in: d, now: Date())
        #expect(
            findings.contains {
                $0.severity == .error && $0.subject == "\(mvsms)/HV02" && $0.problem.hasPrefix("no account")
            },
            "\(findings)")
        #expect(findings.contains { $0.problem.hasPrefix("AD differs from the manifest") })
    }
    /// show: each ACE of the descriptor, grants named when resolved, other forms and types said so, a corrupt
    /// value said so.
    @Test func showListsTheDescriptor() throws {
        var c = computer("HV01")
        #expect(
            ComputerText.render(c).contains(
                "msDS-AllowedToActOnBehalfOfOtherIdentity (resource-based: who may delegate to it): (none)\n"))
        var d = SecurityDescriptor.kcdctl(allowing: [Self.sid(1102)])
        d.dacl!.entries.append(.allowed(flags: 0, mask: 0x1000_0000, sid: Self.sid(1500)))
        d.dacl!.entries.append(.other(type: 0x01, flags: 0, bytes: [0xFF, 0x01, 0x0F, 0x00] + Self.sid(1300).bytes))
        c.allowedToActOnBehalf = try d.encoded()
        let text = ComputerText.render(c, owners: [Self.sid(1102): SIDOwner(accountName: "HV02$", isComputer: true)])
        #expect(text.contains("(3 ACEs):\n    allow HV02$ (\(Self.domainSID)-1102)\n"), "\(text)")
        #expect(text.contains("    allow \(Self.domainSID)-1500  (mask 0x10000000, flags 0x0)\n"))
        #expect(text.contains("    ACE type 0x1, flags 0x0, 36 bytes (kept as is)\n"))
        #expect(ShowText.grantedSIDs([c]) == [Self.sid(1102), Self.sid(1500)])
        c.allowedToActOnBehalf = [1, 2, 3]
        #expect(ComputerText.render(c).contains("NOT a valid security descriptor"))
    }
    /// The manifest: `mode: resource-based` loads; smbStorage and extraTargets are refused in such a cluster,
    /// at their line.
    @Test func theManifestTakesResourceBasedWithoutStorageOrExtraTargets() throws {
        let rbcd = validManifest.replacingOccurrences(of: "mode: any-protocol", with: "mode: resource-based")
        #expect(try parse(rbcd).clusters[0].mode == .resourceBased)
        #expect(
            manifestError(rbcd + "\n    smbStorage: [FS01]")
                == "m.yaml:12:17: cluster 'hv-prod-a' is resource-based: smbStorage is for classic modes (resource-based delegation is written on the target, and kcdctl writes only the cluster's hosts); grant storage servers with a classic cluster or by hand"
        )
        #expect(
            manifestError(rbcd + "\n    extraTargets: [http/web01]")?.contains("extraTargets is for classic modes")
                == true)
    }
}
