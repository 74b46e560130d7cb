import Foundation
import KCDCore
import Testing

@testable import KCDLDAP

/// Review of the RBCD adapter: who counts as a computer, whose grant `prune: managed` may remove.
@Suite struct ReviewAttackLDAPTests {
    static let sid = try! SecurityIdentifier("S-1-5-21-3826174690-2670933619-3247201134-1300")

    static func account(_ name: String, classes: [String]) -> LDAPEntry {
        LDAPEntry(
            dn: "CN=\(name),CN=Managed Service Accounts,DC=x",
            attributes: [
                "samaccountname": [name], "objectclass": classes,
                "objectsid": [Data(sid.bytes).base64EncodedString()],
            ])
    }

    /// FINDING (wrong removal): a group managed service account (and a standalone MSA, and Windows Server 2025's
    /// delegated MSA) has objectClass computer by schema inheritance, so `owners` calls it a computer and
    /// `prune: managed` (the default) revokes its grant on a resource-based host. gMSAs are a main RBCD principal
    /// (a service's identity allowed to delegate to the host); manifest.md promises to remove computer grants
    /// "(a host dropped from the cluster)" only.
    @Test(arguments: [
        ["top", "person", "organizationalPerson", "user", "computer", "msDS-GroupManagedServiceAccount"],
        ["top", "person", "organizationalPerson", "user", "computer", "msDS-ManagedServiceAccount"],
        ["top", "person", "organizationalPerson", "user", "computer", "msDS-DelegatedManagedServiceAccount"],
    ])
    func aManagedServiceAccountIsNotAComputerToPrune(classes: [String]) {
        let owners = ActiveDirectory.owners([Self.account("svc-web$", classes: classes)], asked: [Self.sid])
        #expect(owners[Self.sid]?.isComputer == false, "\(classes.last!) counts as a computer")
    }

    /// Sound: binary SIDs in a filter are escaped byte by byte (NUL, `*`, `(`, `)`, `\`), so a SID cannot widen
    /// the search.
    @Test func aBinarySIDIsEscapedWhole() {
        let bytes: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 0x2A, 0x28, 0x29, 0x5C, 0x00]
        #expect(LDAPFilter.escape(bytes: bytes) == "\\01\\01\\00\\00\\00\\00\\00\\2a\\28\\29\\5c\\00")
        #expect(LDAPFilter.anyOf("objectSid", binary: [bytes]).filter { $0 == "*" || $0 == "(" }.count == 1)
    }
}
