import Foundation
import KCDCore
import Testing

@testable import KCDLDAP

/// Issue 15: what the adapter makes of `objectSid` and `msDS-AllowedToActOnBehalfOfOtherIdentity` as the search
/// returns them (base64), and of the accounts a SID search finds. The directory is hostile input.
@Suite struct RBCDEntries {
    static let sid = try! SecurityIdentifier("S-1-5-21-3826174690-2670933619-3247201134-1104")
    static let descriptor = try! SecurityDescriptor.kcdctl(allowing: [sid]).encoded()

    static func entry(_ attributes: [String: [String]]) -> LDAPEntry {
        var all: [String: [String]] = ["samaccountname": ["HV01$"], "useraccountcontrol": ["4096"]]
        all.merge(attributes) { $1 }
        return LDAPEntry(dn: "CN=HV01,CN=Computers,DC=x", attributes: all)
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    @Test func theObjectSidAndTheDescriptorAreRead() throws {
        let computer = try #require(
            ActiveDirectory.computer(
                Self.entry([
                    "objectsid": [Self.base64(Self.sid.bytes)],
                    "msds-allowedtoactonbehalfofotheridentity": [Self.base64(Self.descriptor)],
                ])))
        #expect(computer.objectSid == Self.sid)
        #expect(computer.allowedToActOnBehalf == Self.descriptor)
    }

    @Test func absentAttributesAreNil() throws {
        let computer = try #require(ActiveDirectory.computer(Self.entry([:])))
        #expect(computer.objectSid == nil)
        #expect(computer.allowedToActOnBehalf == nil)
        #expect(
            ActiveDirectory.computer(Self.entry(["msds-allowedtoactonbehalfofotheridentity": []]))?.allowedToActOnBehalf
                == nil)
    }

    @Test(arguments: [
        [Self.base64([1, 4, 0])],  // truncated
        [Self.base64(Self.sid.bytes + [0])],  // a byte after the SID
        [Self.base64([2] + Self.sid.bytes.dropFirst())],  // revision 2
        ["S-1-5-21-1-2-3-1104"],  // not the binary form
        [Self.base64(Self.sid.bytes), Self.base64(Self.sid.bytes)],  // two values of a single-valued attribute
        [String](),
    ])
    func aMalformedObjectSidIsNil(values: [String]) {
        #expect(ActiveDirectory.computer(Self.entry(["objectsid": values]))?.objectSid == nil)
    }

    /// The attribute is single-valued: anything but one base64 value is kept as `[]`, which the reconciler cannot
    /// decode and reports as the host's corrupt descriptor. Never nil (that would read as "no descriptor") and
    /// never just the first value.
    @Test func aDescriptorThatIsNotOneValueIsKeptAsCorrupt() {
        let two = [Self.base64(Self.descriptor), Self.base64(Self.descriptor)]
        #expect(
            ActiveDirectory.computer(Self.entry(["msds-allowedtoactonbehalfofotheridentity": two]))?
                .allowedToActOnBehalf == [])
        #expect(
            ActiveDirectory.computer(Self.entry(["msds-allowedtoactonbehalfofotheridentity": ["not base64"]]))?
                .allowedToActOnBehalf == [])
        // One value, bytes as stored, even when they are no descriptor: the reconciler decides.
        #expect(
            ActiveDirectory.computer(Self.entry(["msds-allowedtoactonbehalfofotheridentity": [Self.base64([1, 0])]]))?
                .allowedToActOnBehalf == [1, 0])
        #expect(
            ActiveDirectory.computer(Self.entry(["msds-allowedtoactonbehalfofotheridentity": [""]]))?
                .allowedToActOnBehalf == [])
    }

    static func account(_ name: String, _ sid: SecurityIdentifier?, classes: [String], raw: [String]? = nil)
        -> LDAPEntry
    {
        LDAPEntry(
            dn: "CN=\(name),DC=x",
            attributes: [
                "samaccountname": [name], "objectclass": classes,
                "objectsid": raw ?? sid.map { [Self.base64($0.bytes)] } ?? [],
            ])
    }

    @Test func ownersAreKeyedByTheirOwnObjectSid() throws {
        let computer = Self.sid
        let user = try SecurityIdentifier("S-1-5-21-3826174690-2670933619-3247201134-1105")
        let unknown = try SecurityIdentifier("S-1-5-21-3826174690-2670933619-3247201134-1106")
        let owners = ActiveDirectory.owners(
            [
                Self.account("user1", user, classes: ["top", "person", "organizationalPerson", "user"]),
                Self.account(
                    "HV01$", computer, classes: ["top", "person", "organizationalPerson", "user", "Computer"]),
            ], asked: [computer, user, unknown])
        #expect(
            owners == [
                computer: SIDOwner(accountName: "HV01$", isComputer: true),
                user: SIDOwner(accountName: "user1", isComputer: false),
            ])
    }

    @Test func entriesTheSearchShouldNotHaveReturnedAreIgnored() throws {
        let asked = Self.sid
        let other = try SecurityIdentifier("S-1-5-21-1-2-3-500")
        let owners = ActiveDirectory.owners(
            [
                Self.account("notAsked$", other, classes: ["computer"]),
                Self.account("malformed$", nil, classes: ["computer"], raw: [Self.base64([1, 4, 0])]),
                Self.account(
                    "twoSIDs$", nil, classes: ["computer"], raw: [Self.base64(asked.bytes)] + [Self.base64(asked.bytes)]
                ),
                Self.account("noSID$", nil, classes: ["computer"]),
                LDAPEntry(
                    dn: "CN=FSP,DC=x",
                    attributes: ["objectclass": ["foreignSecurityPrincipal"], "objectsid": [Self.base64(asked.bytes)]]),
            ], asked: [asked])
        #expect(owners.isEmpty)
    }

    /// Two accounts with one SID: a computer only if both are, so that kcdctl never removes the grant because one
    /// of them is a computer.
    @Test func aSIDHeldTwiceIsAComputerOnlyIfEveryHolderIs() {
        let both = ActiveDirectory.owners(
            [Self.account("A$", Self.sid, classes: ["computer"]), Self.account("B$", Self.sid, classes: ["computer"])],
            asked: [Self.sid])
        #expect(both == [Self.sid: SIDOwner(accountName: "A$", isComputer: true)])
        let mixed = ActiveDirectory.owners(
            [Self.account("A$", Self.sid, classes: ["computer"]), Self.account("u", Self.sid, classes: ["user"])],
            asked: [Self.sid])
        #expect(mixed == [Self.sid: SIDOwner(accountName: "A$", isComputer: false)])
    }
}
