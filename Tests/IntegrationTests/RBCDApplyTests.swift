import Foundation
import KCDCore
import KCDLDAP
import Testing

/// `mode: resource-based` end to end against the Samba AD DC: kcdctl plan and apply write exactly the declared
/// allow-list into each host's msDS-AllowedToActOnBehalfOfOtherIdentity, keep what others granted, and switch
/// to and from classic delegation in one apply each.
@Suite(
    "Resource-based delegation against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct RBCDApply {
    let dc = TestDC.shared!

    /// The SIDs each host's descriptor grants in kcdctl's form, and the descriptors' uSNChanged.
    func grants(_ names: [String]) throws -> [String: (grants: [SecurityIdentifier], usn: String?)] {
        try dc.read(names).mapValues { computer in
            let grants = try computer.allowedToActOnBehalf.map { try SecurityDescriptor(decoding: $0).kcdctlGrants }
            return (grants ?? [], computer.usnChanged)
        }
    }

    func sids(_ names: [String]) throws -> [String: SecurityIdentifier] {
        try dc.read(names).compactMapValues(\.objectSid)
    }

    /// Samba 4.17 refuses LDAP writes of the attribute (system-only); Windows DCs take them. The test DC is made
    /// to take them as Windows does (Tests/dc/rbcd-writable.sh; idempotent); the multi-DC lab stays as Samba
    /// ships, and shows kcdctl's error there (MultiDCTests).
    func makeWritable() throws {
        let r = try run([TestDC.packageRoot + "/Tests/dc/rbcd-writable.sh"])
        guard r.status == 0 else { throw TestFailure("rbcd-writable failed: \(r.stderr)") }
    }

    func addPrincipal(_ host: String, _ principal: String) throws {
        let r = try run([TestDC.packageRoot + "/Tests/dc/rbcd-add-principal.sh", host, principal])
        guard r.status == 0 else { throw TestFailure("rbcd-add-principal failed: \(r.stderr)") }
    }

    /// Each host allows exactly the others; a second apply writes nothing (uSNChanged unchanged); plan shows
    /// the grants by account and SID.
    @Test func applyWritesTheAllowListAndASecondApplyNothing() throws {
        let names = TestDC.names("a", "b", "c")
        try dc.addComputers(names)
        try makeWritable()
        let manifest = try dc.manifest(hosts: names, mode: .resourceBased)
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        let sid = try sids(names)

        let plan = try kcdctl("plan", "-f", manifest)
        #expect(
            plan.stdout.contains("+ msDS-AllowedToActOnBehalfOfOtherIdentity: allow \(names[1])$ (\(sid[names[1]]!))"),
            "\(plan.stdout)\(plan.stderr)")
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        let after = try grants(names)
        for name in names {
            #expect(after[name]?.grants == names.filter { $0 != name }.map { sid[$0]! }, "\(name)")
        }
        let again = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again.stdout)")
        for name in names { #expect(try grants([name])[name]?.usn == after[name]?.usn, "\(name) was written again") }
        let drift = try kcdctl("drift", "-f", manifest)
        #expect(drift.status == 0, "\(drift.stdout)")
    }

    /// A user's grant made with samba-tool survives; dropping a host from the manifest removes its grant only.
    @Test func othersGrantsSurviveAndADroppedHostLosesItsGrantOnly() throws {
        let names = TestDC.names("d", "e", "f")
        let user = TestDC.names("u")[0]
        try dc.addComputers(names)
        try dc.addUser(user)
        try makeWritable()
        let manifest = try dc.manifest(hosts: names, mode: .resourceBased)
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        try addPrincipal(names[0], user)
        let withUser = try grants([names[0]])[names[0]]!.grants
        #expect(withUser.count == 3)

        let smaller = try dc.manifest(hosts: Array(names.prefix(2)), mode: .resourceBased)
        defer { try? FileManager.default.removeItem(atPath: smaller) }
        let apply = try kcdctl("apply", "-f", smaller, "--auto-approve")
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        let sid = try sids(names)
        #expect(try grants([names[0]])[names[0]]!.grants == [sid[names[1]]!, withUser[2]], "the user's grant stays")
        #expect(try grants([names[1]])[names[1]]!.grants == [sid[names[0]]!])
    }

    /// any-protocol → resource-based → any-protocol: one apply each, then nothing to do.
    @Test func switchingModesConvergesInOneApplyEach() throws {
        let names = TestDC.names("g", "h")
        try dc.addComputers(names)
        try makeWritable()
        for mode in [DelegationMode.anyProtocol, .resourceBased, .anyProtocol] {
            let manifest = try dc.manifest(hosts: names, mode: mode)
            defer { try? FileManager.default.removeItem(atPath: manifest) }
            let apply = try kcdctl("apply", "-f", manifest, "--auto-approve")
            #expect(apply.status == 0 && apply.stdout.contains("Converged"), "\(mode): \(apply.stdout)\(apply.stderr)")
            #expect(try kcdctl("plan", "-f", manifest, "--detailed-exitcode").status == 0, "\(mode)")
            let now = try dc.read(names)[names[0]]!
            #expect(now.allowedToDelegateTo.isEmpty == (mode == .resourceBased), "\(mode)")
            #expect((now.allowedToActOnBehalf != nil) == (mode == .resourceBased), "\(mode)")
            #expect(now.userAccountControl.contains(.trustedToAuthForDelegation) == (mode == .anyProtocol))
        }
    }

    /// A descriptor kcdctl cannot decode stops the plan with the host named; nothing is written.
    @Test func aCorruptDescriptorIsAnErrorAndNothingIsWritten() throws {
        let names = TestDC.names("i", "j")
        try dc.addComputers(names)
        try makeWritable()
        // Self-relative, DACL present, the DACL offset beyond the value.
        let corrupt = Data([1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0]).base64EncodedString()
        do {
            try dc.ldapModify(
                "dn: \(dc.dn(names[1]))\nchangetype: modify\nreplace: msDS-AllowedToActOnBehalfOfOtherIdentity\n"
                    + "msDS-AllowedToActOnBehalfOfOtherIdentity:: \(corrupt)\n")
        } catch {
            // Samba may check the syntax itself; then kcdctl's own check is the unit tests' (ResourceBasedTests).
            withKnownIssue("Samba refused an invalid security descriptor: \(error)") { throw error }
            return
        }
        let before = try dc.read(names)
        let manifest = try dc.manifest(hosts: names, mode: .resourceBased)
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        let apply = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(apply.status == 1)
        #expect(
            apply.stderr.contains(
                "\(names[1]): msDS-AllowedToActOnBehalfOfOtherIdentity is not a valid security descriptor"),
            "\(apply.stderr)")
        let after = try dc.read(names)
        for name in names { #expect(after[name]?.usnChanged == before[name]?.usnChanged, "\(name) was written") }
    }
    /// verify for a resource-based host: the descriptors are right at the LDAP level; the KDC's answer is
    /// reported as it is, with why a KDC without resource-based delegation refuses, and never as success.
    /// Samba 4.17's KDC does not grant S4U2Proxy through RBCD (measured): recorded as a known issue.
    @Test func verifyReportsWhatTheKDCAnswersForResourceBasedDelegation() throws {
        let names = TestDC.names("v", "w", "x")
        let user = TestDC.names("u")[0]
        try dc.addComputers(names, keys: true)
        try dc.addUser(user)
        try makeWritable()
        let manifest = try dc.manifest(
            """
              - name: rb
                mode: resource-based
                hosts: [\(names[0]), \(names[1])]
              - name: other
                mode: any-protocol
                hosts: [\(names[2])]
            """)
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        #expect(try kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        let sid = try sids(names)
        #expect(try grants([names[1]])[names[1]]?.grants == [sid[names[0]]!], "LDAP: HV02 allows HV01")
        let keytab = try dc.exportKeytab(names[0])
        let proof = try kcdctl(
            "verify", "-f", manifest, "--host", names[0], "--keytab", keytab, "--impersonate", "\(user)@\(dc.realm)",
            "--service", "cifs")
        #expect(proof.stdout.contains("cifs/\(names[1])"), "\(proof.stdout)\(proof.stderr)")
        #expect(proof.stdout.contains("cifs/\(names[2])") && proof.stdout.contains("(must be refused)"))
        if proof.status != 0 {
            #expect(proof.status == 2 && proof.stdout.contains("does not implement resource-based delegation"))
        }
        withKnownIssue("Samba 4.17's KDC does not grant S4U2Proxy through resource-based delegation") {
            #expect(proof.status == 0, "\(proof.stdout)")
        }
    }
}
