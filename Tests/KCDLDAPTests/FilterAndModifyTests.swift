import Foundation
import KCDCore
import Testing

@testable @_spi(Testing) import KCDLDAP

@Suite struct Filters {
    @Test(arguments: [
        ("HV01", "HV01"),
        ("HV01)(cn=*", "HV01\\29\\28cn=\\2a"),
        ("a\\b", "a\\5cb"),
        ("x\0y", "x\\00y"),
        ("*", "\\2a"),
    ])
    func rfc4515Escaping(raw: String, escaped: String) {
        #expect(LDAPFilter.escape(raw) == escaped)
    }

    @Test func orFilter() {
        #expect(LDAPFilter.anyOf("sAMAccountName", ["A$"]) == "(sAMAccountName=A$)")
        #expect(LDAPFilter.anyOf("sAMAccountName", ["A$", "B)$"]) == "(|(sAMAccountName=A$)(sAMAccountName=B\\29$))")
    }
}

@Suite struct Modifications {
    @Test func oneRequestDeletesThenAddsAndSwapsUserAccountControl() {
        let change = HostChange(
            host: "HV01", dn: "CN=HV01,DC=x", mode: .anyProtocol, add: [SPN("cifs/HV02")], remove: [SPN("CIFS/HV05")],
            userAccountControl: .init(
                from: [.workstationTrustAccount], to: [.workstationTrustAccount, .trustedToAuthForDelegation]))
        #expect(
            change.operations == [
                AttributeOperation(.delete, "msDS-AllowedToDelegateTo", ["CIFS/HV05"]),
                AttributeOperation(.add, "msDS-AllowedToDelegateTo", ["cifs/HV02"]),
                AttributeOperation(.delete, "userAccountControl", ["4096"]),
                AttributeOperation(.add, "userAccountControl", ["16781312"]),
            ])
    }

    @Test func nothingButWhatChanges() {
        let change = HostChange(
            host: "HV01", dn: "CN=HV01,DC=x", mode: .anyProtocol, add: [SPN("cifs/HV02")], remove: [],
            userAccountControl: nil)
        #expect(
            change.operations == [AttributeOperation(.add, "msDS-AllowedToDelegateTo", ["cifs/HV02"])]
        )
    }

    @Test func errorsNameTheCodeAndTheServersMessage() {
        let e = LDAPError(
            code: .insufficientAccessRights, operation: "modify", dn: "CN=HV01,DC=x", diagnostic: "00002098: SecErr")
        #expect(
            e.description.hasPrefix(
                "LDAP modify of CN=HV01,DC=x failed: 50 insufficientAccessRights (Insufficient access): 00002098: SecErr. "
            ))
        #expect(e.description.contains("SeEnableDelegationPrivilege"))
    }
}

@Suite struct SIDs {
    @Test func binarySIDToString() {
        let bytes: [UInt8] = Array(Data(base64Encoded: "AQQAAAAAAAUVAAAA4soO5HM2M59uW4zB")!)
        #expect(ActiveDirectory.sidString(bytes) == "S-1-5-21-3826174690-2670933619-3247201134")
        #expect(ActiveDirectory.sidString([1, 4, 0]) == nil)
    }
}

/// Finding 2 of issue 9: values reached libldap as `strdup` copies with the Swift byte count as their length,
/// so everything after a NUL came from the heap. Every value must go out as exactly its own bytes.
@Suite struct ValueEncoding {
    @Test(arguments: [
        "http/a\0BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "\0", "", "cifs/HV01", "Microsoft Virtual System Migration Service/hv02.corp.example.com",
        String(decoding: (0...0x7F).map { UInt8($0) }, as: UTF8.self),
        "x\u{7F}\u{1B}[31m\u{00E9}\u{1F600}",
    ])
    func valuesGoOutAsExactlyTheirBytes(value: String) throws {
        let mods = [AttributeOperation(.add, "msDS-AllowedToDelegateTo", [value, value + "2"])]
        #expect(try AttributeOperation.encodedValues(mods) == [[Array(value.utf8), Array((value + "2").utf8)]])
    }

    @Test func aNULInsideADNOrAttributeNameIsRefusedNotCut() {
        #expect(throws: LDAPError.self) {
            try AttributeOperation.encodedValues([AttributeOperation(.add, "msDS-AllowedToDelegateTo\0x", ["v"])])
        }
    }
}
