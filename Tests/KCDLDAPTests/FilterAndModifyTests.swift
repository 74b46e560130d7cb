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

    /// Every byte of a binary value as `\XX`: NUL, the filter's specials, printable ASCII and high bytes alike.
    @Test(
        arguments: [
            ([], ""),
            ([0x00], "\\00"),
            ([0x2A, 0x28, 0x29, 0x5C], "\\2a\\28\\29\\5c"),
            ([0x41, 0x7A, 0x30], "\\41\\7a\\30"),
            ([0x01, 0x05, 0x00, 0x80, 0xFF, 0x0F, 0xF0], "\\01\\05\\00\\80\\ff\\0f\\f0"),
        ] as [([UInt8], String)])
    func binaryEscaping(bytes: [UInt8], escaped: String) {
        #expect(LDAPFilter.escape(bytes: bytes) == escaped)
    }

    @Test func everyByteValueIsEscapedAsItsTwoHexDigits() {
        let all = (0...255).map { UInt8($0) }
        let escaped = LDAPFilter.escape(bytes: all)
        #expect(escaped == all.map { "\\" + ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        #expect(escaped.utf8.count == 3 * 256)
    }

    @Test func orFilterOfSIDs() throws {
        let a = try SecurityIdentifier("S-1-5-21-1-2-3-1104")
        let b = try SecurityIdentifier("S-1-5-32-544")
        #expect(
            LDAPFilter.anyOf("objectSid", binary: [b.bytes])
                == "(objectSid=\\01\\02\\00\\00\\00\\00\\00\\05\\20\\00\\00\\00\\20\\02\\00\\00)")
        let filter = LDAPFilter.anyOf("objectSid", binary: [a.bytes, b.bytes])
        #expect(filter.hasPrefix("(|(objectSid=\\01\\05\\00\\00\\00\\00\\00\\05\\15\\00\\00\\00\\01\\00"))
        #expect(
            filter.hasSuffix(
                "\\50\\04\\00\\00)(objectSid=\\01\\02\\00\\00\\00\\00\\00\\05\\20\\00\\00\\00\\20\\02\\00\\00))"))
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

    /// Samba 4.17 refuses every LDAP write of the RBCD attribute, even by Domain Admins (measured).
    @Test func aSystemOnlyRefusalOfTheDescriptorIsExplained() {
        let refused = LDAPError(
            code: .constraintViolation, operation: "modify of msDS-AllowedToActOnBehalfOfOtherIdentity",
            dn: "CN=HV01,DC=x",
            diagnostic: "0000202F: objectclass_attrs: attribute 'msDS-AllowedToActOnBehalfOfOtherIdentity' on entry "
                + "'CN=HV01,DC=x' can only be modified as system")
        #expect(refused.description.contains("system-only"))
        #expect(refused.description.contains("can only be modified as system. If the server says"))
        #expect(LDAPError(code: .constraintViolation, operation: "modify of msDS-AllowedToDelegateTo").hint == nil)
    }
}

@Suite struct SIDs {
    /// The doctor finds Protected Users by the domain's objectSid and RID 525, through the core's SID codec.
    @Test func protectedUsersIsTheDomainSIDAndRID525() {
        #expect(
            ActiveDirectory.protectedUsersFilter(domainSID: ["AQQAAAAAAAUVAAAA4soO5HM2M59uW4zB"])
                == "(objectSid=S-1-5-21-3826174690-2670933619-3247201134-525)")
        #expect(ActiveDirectory.protectedUsersFilter(domainSID: []) == nil)
        #expect(ActiveDirectory.protectedUsersFilter(domainSID: [Data([1, 4, 0]).base64EncodedString()]) == nil)
        #expect(ActiveDirectory.protectedUsersFilter(domainSID: ["not base64!"]) == nil)
        #expect(
            ActiveDirectory.protectedUsersFilter(domainSID: [
                "AQQAAAAAAAUVAAAA4soO5HM2M59uW4zB", "AQQAAAAAAAUVAAAA4soO5HM2M59uW4zB",
            ]) == nil)
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

    @Test func aBinaryOperationGoesOutAsItsDecodedBytesWithTheirLength() throws {
        // A descriptor-like value with NULs inside and at the end: a strlen would stop at byte 2.
        let bytes: [UInt8] = [0x01, 0x00, 0x04, 0x80, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x7F, 0x00]
        let other: [UInt8] = [0x00]
        let mods = [
            AttributeOperation(
                .delete, "msDS-AllowedToActOnBehalfOfOtherIdentity", [Data(bytes).base64EncodedString()],
                binary: true),
            AttributeOperation(
                .add, "msDS-AllowedToActOnBehalfOfOtherIdentity",
                [Data(other).base64EncodedString(), Data(bytes + bytes).base64EncodedString(), ""], binary: true),
            AttributeOperation(.add, "description", ["AAA="]),
        ]
        let request = try AttributeOperation.encodedRequest(mods)
        #expect(
            request == [
                .init(
                    kind: .delete, bvalues: true, attribute: "msDS-AllowedToActOnBehalfOfOtherIdentity",
                    values: [bytes]),
                .init(
                    kind: .add, bvalues: true, attribute: "msDS-AllowedToActOnBehalfOfOtherIdentity",
                    values: [other, bytes + bytes, []]),
                // Text values are their UTF-8 bytes, base64-looking or not.
                .init(kind: .add, bvalues: true, attribute: "description", values: [Array("AAA=".utf8)]),
            ])
        #expect(try AttributeOperation.encodedValues(mods) == request.map(\.values))
    }

    @Test(arguments: ["AQ=", "AQ==\n", "not base64", "AQ==AQ==", "\0"])
    func aBinaryValueThatIsNotBase64RefusesTheRequest(value: String) {
        let mods = [
            AttributeOperation(.delete, "msDS-AllowedToActOnBehalfOfOtherIdentity", ["AQID"], binary: true),
            AttributeOperation(.add, "msDS-AllowedToActOnBehalfOfOtherIdentity", ["AQID", value], binary: true),
        ]
        #expect {
            try AttributeOperation.encodedValues(mods)
        } throws: { error in
            guard let error = error as? LDAPError else { return false }
            return error.code == .paramError
                && error.description.contains(
                    "value 2 of the add of msDS-AllowedToActOnBehalfOfOtherIdentity is binary but not base64")
        }
    }

    @Test func theDebugLogShowsBinaryValuesByCountAndSizeOnly() {
        let descriptor = Data(repeating: 0x41, count: 76).base64EncodedString()
        #expect(
            LDAPConnection.logged(.init(.add, "msDS-AllowedToActOnBehalfOfOtherIdentity", [descriptor], binary: true))
                == "1 binary value (76 bytes)")
        #expect(
            LDAPConnection.logged(.init(.add, "x", [descriptor, Data([0]).base64EncodedString()], binary: true))
                == "2 binary values (76, 1 bytes)")
        #expect(LDAPConnection.logged(.init(.add, "x", ["cifs/HV01"])) == "[\"cifs/HV01\"]")
    }
}
