import Foundation
import KCDCore
import KCDLDAP
import Testing

extension TestDC {
    /// Lets `principal` (an account name, e.g. `HV01$`) delegate to computer `name` by resource-based constrained
    /// delegation, as an administrator would: `samba-tool delegation add-principal` (Tests/dc/rbcd-add-principal.sh).
    func allowToActOnBehalf(of principal: String, on name: String) throws {
        let r = try run([TestDC.packageRoot + "/Tests/dc/rbcd-add-principal.sh", name, principal])
        guard r.status == 0 else { throw TestFailure("rbcd-add-principal failed: \(r.stderr)") }
    }

    /// The objectSid of the entry at `dn`, read directly.
    func objectSid(of dn: String) throws -> SecurityIdentifier {
        let entries = try connect().search(
            base: dn, scope: .base, filter: "(objectClass=*)", attributes: ["objectSid"], binary: ["objectSid"])
        let encoded = try #require(entries.first?["objectSid"].first)
        return try SecurityIdentifier(bytes: Array(try #require(Data(base64Encoded: encoded))))
    }
}

private let rbcdAttribute = "msDS-AllowedToActOnBehalfOfOtherIdentity"

/// Issue 15, the LDAP side: `objectSid` and `msDS-AllowedToActOnBehalfOfOtherIdentity` read as bytes, SIDs resolved
/// to accounts, and a descriptor written as bytes with the delete-old + add-new precondition apply will use.
@Suite(
    "RBCD reads and binary writes against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct RBCDReadAgainstSamba {
    let dc = TestDC.shared!

    @Test func aDescriptorWrittenBySambaToolIsReadAndDecodes() throws {
        let names = TestDC.names("a", "b")
        let (a, b) = (names[0], names[1])
        try dc.addComputers(names)
        try dc.allowToActOnBehalf(of: a + "$", on: b)

        let directory = try dc.directory()
        let found = try directory.computers(named: names)
        #expect(directory.computerSearches == 1, "both hosts in one search, the binary attributes included")
        let hostA = try #require(found.first { $0.name == a })
        let hostB = try #require(found.first { $0.name == b })
        let sidA = try #require(hostA.objectSid)
        #expect(sidA == (try dc.objectSid(of: dc.dn(a))))
        #expect(hostB.objectSid != nil && hostB.objectSid != sidA)
        #expect(hostA.objectSid?.domain == hostB.objectSid?.domain)
        #expect(hostA.allowedToActOnBehalf == nil, "A allows nobody")

        let bytes = try #require(hostB.allowedToActOnBehalf)
        let descriptor = try SecurityDescriptor(decoding: bytes)
        #expect(descriptor.kcdctlGrants == [sidA])
        #expect(try descriptor.encoded() == bytes)
        // The classic attribute is read as before next to the binary ones.
        #expect(hostB.allowedToDelegateTo == [])
        #expect(hostB.userAccountControl.contains(.workstationTrustAccount))
    }

    @Test func sidsResolveToTheirAccountsInBatches() throws {
        let a = TestDC.names("a")[0]
        let user = TestDC.names("u")[0]
        try dc.addComputers([a])
        try dc.addUser(user)
        let sidA = try dc.objectSid(of: dc.dn(a))
        let sidUser = try dc.objectSid(of: "CN=\(user),CN=Users,\(dc.baseDN)")
        let domain = try #require(sidA.domain)
        let unknown = try #require(
            SecurityIdentifier(authority: domain.authority, subAuthorities: domain.subAuthorities + [0x7FFF_FFF0]))

        let directory = try dc.directory(batchSize: 2)
        let before = directory.connection.counters.searchRequests
        let owners = try directory.accounts(withSIDs: [sidA, sidUser, unknown, .builtinAdministrators, sidA])
        #expect(
            owners == [
                sidA: SIDOwner(accountName: a + "$", isComputer: true),
                sidUser: SIDOwner(accountName: user, isComputer: false),
                .builtinAdministrators: SIDOwner(accountName: "Administrators", isComputer: false),
            ])
        #expect(owners[unknown] == nil)
        #expect(
            directory.connection.counters.searchRequests - before == 2, "4 distinct SIDs in batches of 2: 2 searches")

        let idle = directory.connection.counters.searchRequests
        #expect(try directory.accounts(withSIDs: []) == [:])
        #expect(directory.connection.counters.searchRequests == idle, "no SIDs, no search")
    }

    /// The write apply will send: delete the value read + add the new one, as bytes, in one modify.
    ///
    /// Samba 4.17 refuses it, as every LDAP write of the attribute (measured): its schema marks the attribute
    /// system-only, and Samba enforces that where Windows DCs let administrators write it. The test records that
    /// answer (19, nothing changed), then makes the attribute writable on the test DC (Tests/dc/rbcd-writable.sh)
    /// and checks what matters on any DC that accepts the write: Samba stores the bytes as sent, and refuses the
    /// same request again because the value to delete is gone, changing nothing: the precondition that makes a
    /// concurrent change fail cleanly.
    @Test func aBinaryDeleteAndAddWritesTheBytesAndFailsOnceTheOldValueIsGone() throws {
        let names = TestDC.names("a", "b", "c")
        let (a, b, c) = (names[0], names[1], names[2])
        try dc.addComputers(names)
        try dc.allowToActOnBehalf(of: a + "$", on: b)
        let directory = try dc.directory()
        let read = Dictionary(uniqueKeysWithValues: try directory.computers(named: names).map { ($0.name, $0) })
        let old = try #require(read[b]?.allowedToActOnBehalf)
        let (sidA, sidC) = (try #require(read[a]?.objectSid), try #require(read[c]?.objectSid))
        let new = try SecurityDescriptor.kcdctl(allowing: [sidA, sidC]).encoded()
        #expect(new != old)
        let operations = [
            AttributeOperation(.delete, rbcdAttribute, [Data(old).base64EncodedString()], binary: true),
            AttributeOperation(.add, rbcdAttribute, [Data(new).base64EncodedString()], binary: true),
        ]
        let dn = try #require(read[b]?.dn)
        func stored() throws -> [UInt8]? { try directory.computers(named: [b]).first?.allowedToActOnBehalf }

        do {
            try directory.connection.modify(dn: dn, operations)
        } catch let error as LDAPError {
            #expect(error.code == .constraintViolation, "\(error)")
            #expect(error.diagnostic?.contains("can only be modified as system") == true, "\(error)")
            #expect(error.description.contains("system-only"), "the hint explains it: \(error)")
            #expect(try stored() == old, "nothing changed")
            print("Samba refuses LDAP writes of \(rbcdAttribute) (system-only): \(error.summary)")
            let r = try run([TestDC.packageRoot + "/Tests/dc/rbcd-writable.sh"])
            try #require(r.status == 0, "rbcd-writable failed: \(r.stderr)")
            try directory.connection.modify(dn: dn, operations)
        }
        #expect(try stored() == new, "read back byte for byte")
        #expect(try SecurityDescriptor(decoding: try #require(try stored())).kcdctlGrants == [sidA, sidC])

        let error = #expect(throws: LDAPError.self) { try directory.connection.modify(dn: dn, operations) }
        #expect(error?.code == .noSuchAttribute, "\(String(describing: error))")
        if let error {
            #expect(ActiveDirectory.writeError(error, host: b, domainController: "dc") is ChangedMeanwhile)
        }
        #expect(try stored() == new, "nothing changed")
    }
}
