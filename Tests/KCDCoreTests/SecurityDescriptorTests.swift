import Foundation
import Testing

@testable import KCDCore

// The RBCD codec (issue 15): SIDs in both forms, and the self-relative security descriptor of
// msDS-AllowedToActOnBehalfOfOtherIdentity read as hostile input and written back byte for byte.

// MARK: - Real values from Samba

/// Values written by Samba 4.17.12-Debian (`samba -V`: "Version 4.17.12-Debian") on the throwaway DC of
/// Tests/dc/dc-up.sh (`KCDCTL_DC_DIR=/work/main/.build-sd/dc Tests/dc/dc-up.sh HV01 HV02 HV03`, plus
/// `samba-tool user create rbcd-user …`), each read back as the DC serves it, base64 over LDAPS as svc-kcd, with
/// `ldapsearch -LLL -o ldif-wrap=no … '(sAMAccountName=HV02$)' msDS-AllowedToActOnBehalfOfOtherIdentity`
/// (ldbsearch, from ldb-tools, is not installed here), after these steps in order, each run with
/// `-H <dc>/samba/private/sam.ldb -s <dc>/samba/etc/smb.conf`:
private enum Samba {
    /// `samba-tool delegation add-principal 'HV02$' 'HV01$'`
    static let hv01 =
        "AQAEgBQAAAAAAAAAAAAAACQAAAABAgAAAAAABSAAAAAgAgAABAAsAAEAAAAAACQA/wEPAAEFAAAA"
        + "AAAFFQAAAEkyo1Wydz5LtrDjMlAEAAA="
    /// then `samba-tool delegation add-principal 'HV02$' 'HV03$'`
    static let hv01hv03 =
        "AQAEgBQAAAAAAAAAAAAAACQAAAABAgAAAAAABSAAAAAgAgAABABQAAIAAAAAACQA/wEPAAEFAAAA"
        + "AAAFFQAAAEkyo1Wydz5LtrDjMlAEAAAAACQA/wEPAAEFAAAAAAAFFQAAAEkyo1Wydz5LtrDjMlIE"
        + "AAA="
    /// then `samba-tool delegation add-principal 'HV02$' 'rbcd-user'` (a user account)
    static let hv01hv03user =
        "AQAEgBQAAAAAAAAAAAAAACQAAAABAgAAAAAABSAAAAAgAgAABAB0AAMAAAAAACQA/wEPAAEFAAAA"
        + "AAAFFQAAAEkyo1Wydz5LtrDjMlAEAAAAACQA/wEPAAEFAAAAAAAFFQAAAEkyo1Wydz5LtrDjMlIE"
        + "AAAAACQA/wEPAAEFAAAAAAAFFQAAAEkyo1Wydz5LtrDjMlMEAAA="
    /// then `samba-tool delegation del-principal 'HV02$' 'HV03$'`
    static let hv01user =
        "AQAEgBQAAAAAAAAAAAAAACQAAAABAgAAAAAABSAAAAAgAgAABABQAAIAAAAAACQA/wEPAAEFAAAA"
        + "AAAFFQAAAEkyo1Wydz5LtrDjMlAEAAAAACQA/wEPAAEFAAAAAAAFFQAAAEkyo1Wydz5LtrDjMlME"
        + "AAA="
    static let all = [hv01, hv01hv03, hv01hv03user, hv01user]

    /// The objectSid values of that run (base64 from the same ldapsearch).
    static let hv01Sid = "AQUAAAAAAAUVAAAASTKjVbJ3Pku2sOMyUAQAAA=="
    static let domain = "S-1-5-21-1436758601-1262385074-853782710"
    static let hv01SidString = domain + "-1104"
    static let hv03SidString = domain + "-1106"
    static let userSidString = domain + "-1107"
}

private func bytes(_ base64: String) -> [UInt8] {
    Array(Data(base64Encoded: base64) ?? Data())
}

private func sid(_ text: String) -> SecurityIdentifier {
    do {
        return try SecurityIdentifier(text)
    } catch {
        Issue.record("\(error)")
        return .everyone
    }
}

private let hv01 = sid(Samba.hv01SidString)
private let hv03 = sid(Samba.hv03SidString)
private let user = sid(Samba.userSidString)

// MARK: - Hand-built bytes (MS-DTYP 2.4.4–2.4.6)

private func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

private func ace(type: UInt8, flags: UInt8, body: [UInt8]) -> [UInt8] {
    [type, flags] + le16(4 + body.count) + body
}

private func allowedACE(flags: UInt8 = 0, mask: UInt32 = 0x000F_01FF, _ sid: SecurityIdentifier) -> [UInt8] {
    ace(type: 0, flags: flags, body: le32(mask) + sid.bytes)
}

/// ACCESS_DENIED_ACE: the same layout as an allowed one, type 0x01.
private func deniedACE(_ sid: SecurityIdentifier) -> [UInt8] {
    ace(type: 1, flags: 0, body: le32(0x000F_01FF) + sid.bytes)
}

/// ACCESS_ALLOWED_OBJECT_ACE (0x05): mask, flags (object type present), a GUID, the SID.
private func objectACE(_ sid: SecurityIdentifier) -> [UInt8] {
    let guid: [UInt8] = [
        0x2E, 0x4C, 0x1A, 0x00, 0x26, 0x45, 0xD1, 0x11, 0x9B, 0x10, 0x00, 0xC0, 0x4F, 0xD9, 0x31, 0x58,
    ]
    return ace(type: 5, flags: 0, body: le32(0x100) + le32(1) + guid + sid.bytes)
}

private func acl(revision: UInt8 = 2, _ aces: [[UInt8]], padding: Int = 0) -> [UInt8] {
    let body = aces.flatMap { $0 } + [UInt8](repeating: 0, count: padding)
    return [revision, 0] + le16(8 + body.count) + le16(aces.count) + [0, 0] + body
}

private enum Piece { case owner, group, sacl, dacl }

/// A self-relative descriptor with `parts` in the order given and `gap` zero bytes before each.
private func descriptor(control: UInt16, _ parts: [(Piece, [UInt8])], gap: Int = 0) -> [UInt8] {
    var offsets: [Piece: Int] = [:]
    var body: [UInt8] = []
    for (part, value) in parts {
        body += [UInt8](repeating: 0, count: gap)
        offsets[part] = 20 + body.count
        body += value
    }
    let header: [UInt8] =
        [1, 0] + le16(Int(control)) + [Piece.owner, .group, .sacl, .dacl].flatMap { le32(UInt32(offsets[$0] ?? 0)) }
    return header + body
}

private let ba = SecurityIdentifier.builtinAdministrators
private let domainUsers = sid(Samba.domain + "-513")

/// Hand-built descriptors that Windows or Samba may hold, each with something kcdctl does not write.
private let handBuilt: [(name: String, bytes: [UInt8])] = [
    (
        "deny ACE",
        descriptor(control: 0x8004, [(.owner, ba.bytes), (.dacl, acl([deniedACE(hv03), allowedACE(hv01)]))])
    ),
    (
        "object ACE (0x05)",
        descriptor(
            control: 0x8004, [(.owner, ba.bytes), (.dacl, acl(revision: 4, [objectACE(hv03), allowedACE(hv01)]))])
    ),
    (
        "inherited ACE (flag 0x10)",
        descriptor(
            control: 0x8004, [(.owner, ba.bytes), (.dacl, acl([allowedACE(hv01), allowedACE(flags: 0x10, hv03)]))])
    ),
    (
        "group SID",
        descriptor(
            control: 0x8004, [(.owner, ba.bytes), (.group, domainUsers.bytes), (.dacl, acl([allowedACE(hv01)]))])
    ),
    (
        "SACL",
        descriptor(
            control: 0x8014,
            [
                (.owner, ba.bytes),
                (.sacl, acl([ace(type: 2, flags: 0xC0, body: le32(0x20) + SecurityIdentifier.everyone.bytes)])),
                (.dacl, acl([allowedACE(hv01)])),
            ])
    ),
    ("DACL before owner", descriptor(control: 0x8004, [(.dacl, acl([allowedACE(hv01)])), (.owner, ba.bytes)])),
    (
        "Windows order: SACL, DACL, owner, group",
        descriptor(
            control: 0x8014,
            [
                (.sacl, acl([])), (.dacl, acl([allowedACE(hv01), allowedACE(mask: 0x1000_0000, user)])),
                (.owner, ba.bytes), (.group, domainUsers.bytes),
            ])
    ),
    (
        "DACL after owner and group",
        descriptor(control: 0x8004, [(.owner, ba.bytes), (.group, ba.bytes), (.dacl, acl([]))])
    ),
    ("NULL DACL", descriptor(control: 0x8004, [(.owner, ba.bytes)])),
    ("no DACL, no owner", descriptor(control: 0x8000, [])),
    ("empty DACL", descriptor(control: 0x8004, [(.owner, ba.bytes), (.dacl, acl([]))])),
    (
        "allowed ACE with bytes after its SID",
        descriptor(
            control: 0x8004,
            [(.dacl, acl([ace(type: 0, flags: 0, body: le32(0x000F_01FF) + hv01.bytes + [9, 9, 9, 9])]))])
    ),
    (
        "nonzero Sbz1 (resource manager control)",
        [1, 0x40] + descriptor(control: 0x8004, [(.owner, ba.bytes)]).dropFirst(2)
    ),
    (
        "callback ACE (0x09) with application data",
        descriptor(
            control: 0x8004,
            [(.dacl, acl([ace(type: 9, flags: 0, body: le32(1) + hv01.bytes + [0x61, 0x72, 0x74, 0x78])]))])
    ),
]

// MARK: - SIDs

@Suite struct SecurityDescriptorSIDs {
    @Test(arguments: [
        "S-1-5-32-544", "S-1-1-0", Samba.hv01SidString, "S-1-5-18", "S-1-0-0", "S-1-5",
        "S-1-5-21-4294967295-0-1-4294967295", "S-1-0x123456789ABC-1", "S-1-0xFFFFFFFFFFFF",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15",
    ])
    func stringAndBinaryRoundTrip(_ text: String) throws {
        let parsed = try SecurityIdentifier(text)
        #expect(parsed.description == text)
        let decoded = try SecurityIdentifier(bytes: parsed.bytes)
        #expect(decoded == parsed && decoded.description == text)
        #expect(parsed.bytes.count == 8 + 4 * parsed.subAuthorities.count)
    }

    @Test func wellKnownBinaryForms() throws {
        #expect(SecurityIdentifier.builtinAdministrators.bytes == [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0])
        #expect(try SecurityIdentifier("S-1-5-32-544") == .builtinAdministrators)
        #expect(SecurityIdentifier.everyone.bytes == [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        #expect(try SecurityIdentifier(bytes: bytes(Samba.hv01Sid)).description == Samba.hv01SidString)
        #expect(hv01.bytes == bytes(Samba.hv01Sid))
    }

    @Test func ridAndDomain() throws {
        #expect(hv01.rid == 1104)
        #expect(hv01.domain?.description == Samba.domain)
        #expect(hv01.domain == hv03.domain)
        #expect(SecurityIdentifier.builtinAdministrators.rid == 544)
        let bare = try SecurityIdentifier("S-1-5")
        #expect(bare.rid == nil && bare.domain == nil)
    }

    @Test func authorityOver32BitsIsHexWith12Digits() throws {
        let large = try #require(SecurityIdentifier(authority: 1 << 40, subAuthorities: [7]))
        #expect(large.description == "S-1-0x010000000000-7")
        #expect(try SecurityIdentifier("S-1-0x010000000000-7") == large)
        #expect(throws: SecurityIdentifier.SyntaxError.self, "hex below 2^32 is not the canonical spelling") {
            try SecurityIdentifier("S-1-0x00000000000a-7")
        }
        #expect(SecurityIdentifier(authority: 1 << 48, subAuthorities: []) == nil, "authority over 48 bits")
        #expect(SecurityIdentifier(authority: 5, subAuthorities: Array(repeating: 1, count: 16)) == nil)
    }

    /// Leading zeros are refused (one SID, one spelling); so is anything else MS-DTYP's grammar or Windows would
    /// not write.
    @Test(arguments: [
        "", "S", "S-1", "S-1-", "S-1-5-", "S-1-5--32", "s-1-5-32-544", "S-2-5-32-544", "S-1-05-32-544",
        "S-1-5-032-544", "S-1-5-32-0544", "S-1-00", "S-1-4294967296-1", "S-1-5-4294967296", "S-1-5-99999999999",
        "S-1-5-+32", "S-1-5--1", " S-1-5-32-544", "S-1-5-32-544 ", "S-1-5-32-544\n", "S-1-5-32-544\u{0}",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "S-1-0x12345-1", "S-1-0x12345678901G-1",
        "S-1-0x1234567890ABC-1", "S-1-5-\u{FF13}\u{FF12}", "S-1-5-\u{0663}\u{0662}", "S-1-5-32-544-",
        "S-1-" + String(repeating: "1-", count: 200) + "1",
    ])
    func malformedStringsAreRefused(_ text: String) {
        #expect(throws: SecurityIdentifier.SyntaxError.self) { try SecurityIdentifier(text) }
    }

    @Test func syntaxErrorsQuoteTheInputEscaped() {
        #expect(throws: SecurityIdentifier.SyntaxError.self) { try SecurityIdentifier("S-1-5-\u{1B}[31m") }
        do {
            _ = try SecurityIdentifier("S-1-5-\u{1B}[31m")
        } catch {
            #expect(
                error.description == "'S-1-5-\\x1b[31m' is not a SID: sub-authority 1 must be a decimal number "
                    + "below 2^32 without leading zeros")
        }
    }

    @Test func malformedBinariesAreRefusedWithTheirOffset() {
        func problem(_ b: [UInt8]) -> SecurityDescriptorError? {
            do {
                _ = try SecurityIdentifier(bytes: b)
                return nil
            } catch { return error }
        }
        let valid = SecurityIdentifier.builtinAdministrators.bytes
        #expect(
            problem([1, 16, 0, 0, 0, 0, 0, 5] + [UInt8](repeating: 0, count: 64))?.offset == 1, "16 sub-authorities")
        #expect(problem([2] + valid.dropFirst())?.problem == "SID revision 2, expected 1")
        #expect(problem(valid + [0]) == SecurityDescriptorError("bytes after the end of the SID", offset: 16))
        #expect(problem([])?.offset == 0)
        for length in 0..<valid.count {
            #expect(problem(Array(valid.prefix(length))) != nil, "prefix of \(length) bytes")
        }
        #expect(problem([1, 0, 0, 0, 0, 0, 0, 5]) == nil, "no sub-authorities: S-1-5")
    }

    @Test func codableAsItsString() throws {
        let json = try JSONEncoder().encode([SecurityIdentifier.builtinAdministrators])
        #expect(String(decoding: json, as: UTF8.self) == #"["S-1-5-32-544"]"#)
        #expect(try JSONDecoder().decode([SecurityIdentifier].self, from: json) == [.builtinAdministrators])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([SecurityIdentifier].self, from: Data(#"["S-1-5-032"]"#.utf8))
        }
    }
}

// MARK: - Descriptors

@Suite struct SecurityDescriptors {
    func roundTrip(_ input: [UInt8]) throws -> SecurityDescriptor {
        let decoded = try SecurityDescriptor(decoding: input)
        #expect(try decoded.encoded() == input)
        #expect(try SecurityDescriptor(decoding: decoded.encoded()) == decoded)
        return decoded
    }

    @Test func theDescriptorKcdctlWrites() throws {
        let written = SecurityDescriptor.kcdctl(allowing: [hv01, hv03, hv01])
        let encoded = try written.encoded()
        // Header: revision 1, control 0x8004, owner at 20, no group or SACL, DACL at 36 (after the 16-byte owner).
        #expect(Array(encoded.prefix(20)) == [1, 0, 0x04, 0x80, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 36, 0, 0, 0])
        #expect(Array(encoded[20..<36]) == SecurityIdentifier.builtinAdministrators.bytes)
        // DACL: revision 4, size 8 + 2 × 36, two ACEs: type 0, flags 0, size 36, mask 0x000F01FF, the SID.
        #expect(Array(encoded[36..<44]) == [4, 0, 80, 0, 2, 0, 0, 0])
        #expect(Array(encoded[44..<52]) == [0, 0, 36, 0, 0xFF, 0x01, 0x0F, 0x00])
        #expect(encoded.count == 36 + 80)
        let decoded = try roundTrip(encoded)
        #expect(decoded == written)
        #expect(decoded.kcdctlGrants == [hv01, hv03])
        #expect(decoded.owner == .builtinAdministrators && decoded.group == nil && decoded.sacl == nil)
        #expect(decoded.control == [.selfRelative, .daclPresent])
    }

    /// For the same grant, kcdctl writes exactly the bytes samba-tool writes (DACL revision 4, ACL_REVISION_DS).
    @Test func kcdctlWritesWhatSambaWrites() throws {
        let samba = bytes(Samba.hv01)
        #expect(samba[36] == 4)
        #expect(try SecurityDescriptor.kcdctl(allowing: [hv01]).encoded() == samba)
    }

    @Test(arguments: Samba.all)
    func sambaDescriptorsRoundTrip(_ base64: String) throws {
        let input = bytes(base64)
        #expect(!input.isEmpty)
        let decoded = try roundTrip(input)
        #expect(decoded.dacl?.revision == 4 && decoded.owner == .builtinAdministrators)
        #expect(decoded.layout == [.owner, .dacl])
    }

    @Test func sambaGrantsAreKcdctlGrants() throws {
        #expect(try SecurityDescriptor(decoding: bytes(Samba.hv01)).kcdctlGrants == [hv01])
        #expect(try SecurityDescriptor(decoding: bytes(Samba.hv01hv03)).kcdctlGrants == [hv01, hv03])
        #expect(try SecurityDescriptor(decoding: bytes(Samba.hv01hv03user)).kcdctlGrants == [hv01, hv03, user])
        #expect(try SecurityDescriptor(decoding: bytes(Samba.hv01user)).kcdctlGrants == [hv01, user])
    }

    /// kcdctl's add and remove give the very bytes samba-tool's add-principal and del-principal gave.
    @Test func updatesMatchSambaToolByteForByte() throws {
        let one = try SecurityDescriptor(decoding: bytes(Samba.hv01))
        #expect(try one.updatingKcdctlGrants(adding: [hv03], removing: []).encoded() == bytes(Samba.hv01hv03))
        let three = try SecurityDescriptor(decoding: bytes(Samba.hv01hv03user))
        #expect(try three.updatingKcdctlGrants(adding: [], removing: [hv03]).encoded() == bytes(Samba.hv01user))
    }

    @Test(arguments: handBuilt.indices)
    func handBuiltDescriptorsRoundTrip(_ index: Int) throws {
        let (name, input) = handBuilt[index]
        let decoded = try roundTrip(input)
        #expect(decoded.source == nil, "\(name): encoded from its parts, not kept raw")
    }

    @Test func partsOfHandBuiltDescriptors() throws {
        func decoded(_ name: String) throws -> SecurityDescriptor {
            try SecurityDescriptor(decoding: try #require(handBuilt.first { $0.name == name }).bytes)
        }
        let deny = try decoded("deny ACE")
        #expect(deny.dacl?.entries.first == .other(type: 1, flags: 0, bytes: le32(0x000F_01FF) + hv03.bytes))
        #expect(deny.kcdctlGrants == [hv01])
        let object = try decoded("object ACE (0x05)")
        #expect(object.dacl?.entries.first?.type == 5 && object.dacl?.revision == 4)
        #expect(object.kcdctlGrants == [hv01])
        let inherited = try decoded("inherited ACE (flag 0x10)")
        #expect(inherited.dacl?.entries.last == .allowed(flags: 0x10, mask: 0x000F_01FF, sid: hv03))
        #expect(inherited.kcdctlGrants == [hv01])
        #expect(try decoded("group SID").group == domainUsers)
        let sacl = try decoded("SACL")
        #expect(sacl.sacl?.count == 28 && sacl.control.contains(.saclPresent))
        #expect(try decoded("DACL before owner").layout == [.dacl, .owner])
        let windows = try decoded("Windows order: SACL, DACL, owner, group")
        #expect(windows.layout == [.sacl, .dacl, .owner, .group])
        #expect(windows.kcdctlGrants == [hv01], "GENERIC_ALL is not kcdctl's form")
        let null = try decoded("NULL DACL")
        #expect(null.dacl == nil && null.control.contains(.daclPresent) && null.kcdctlGrants.isEmpty)
        #expect(try decoded("callback ACE (0x09) with application data").dacl?.entries.first?.type == 9)
        let trailing = try decoded("allowed ACE with bytes after its SID")
        #expect(trailing.dacl?.entries.first?.type == 0 && trailing.kcdctlGrants.isEmpty, "kept as .other")
        #expect(try decoded("nonzero Sbz1 (resource manager control)").resourceManagerControl == 0x40)
    }

    /// Bytes the parts do not account for: the input is kept and written back unchanged until something changes.
    @Test func nonCanonicalBytesAreKeptUntilChanged() throws {
        let owner = (Piece.owner, ba.bytes)
        let cases: [(String, [UInt8])] = [
            (
                "padding after the last ACE",
                descriptor(control: 0x8004, [owner, (.dacl, acl([allowedACE(hv01)], padding: 8))])
            ),
            ("gap between parts", descriptor(control: 0x8004, [owner, (.dacl, acl([allowedACE(hv01)]))], gap: 4)),
            (
                "bytes after the last part",
                descriptor(control: 0x8004, [owner, (.dacl, acl([allowedACE(hv01)]))]) + [0, 0, 0, 0]
            ),
            (
                "DACL offset without SE_DACL_PRESENT",
                descriptor(control: 0x8000, [owner, (.dacl, acl([allowedACE(hv01)]))])
            ),
            (
                "a nonzero ACL Sbz1",
                descriptor(control: 0x8004, [owner, (.dacl, [2, 0x40] + acl([allowedACE(hv01)]).dropFirst(2))])
            ),
        ]
        for (name, input) in cases {
            let decoded = try roundTrip(input)
            #expect(decoded.source == input, "\(name)")
            #expect(try decoded.updatingKcdctlGrants(adding: [], removing: [hv03]).encoded() == input, "\(name)")
            let changed = decoded.updatingKcdctlGrants(adding: [hv03], removing: [])
            #expect(changed.source == nil, "\(name)")
            let reread = try roundTrip(changed.encoded())
            #expect(reread.kcdctlGrants.last == hv03, "\(name)")
        }
        // Owner and group sharing their bytes.
        var shared = descriptor(control: 0x8004, [(.owner, ba.bytes)])
        shared.replaceSubrange(8..<12, with: le32(20))
        let decoded = try roundTrip(shared)
        #expect(decoded.owner == ba && decoded.group == ba && decoded.source == shared)
        var changed = decoded
        changed.group = domainUsers
        #expect(try changed.encoded() != shared)
        #expect(try SecurityDescriptor(decoding: changed.encoded()).group == domainUsers)
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let valid =
            Samba.all.map(bytes) + handBuilt.map(\.bytes) + [try SecurityDescriptor.kcdctl(allowing: [hv01]).encoded()]
        for input in valid {
            for length in 0..<input.count {
                #expect(throws: SecurityDescriptorError.self, "prefix \(length) of \(input.count)") {
                    try SecurityDescriptor(decoding: Array(input.prefix(length)))
                }
            }
        }
    }

    /// Random byte flips of valid descriptors: decoding never traps, and whatever decodes encodes to its input
    /// again (from its parts, or kept), deterministically.
    @Test func flippedBytesNeverCrashAndWhatDecodesRoundTrips() throws {
        let seeds = Samba.all.map(bytes) + handBuilt.map(\.bytes)
        var rng = PropRNG(seed: 0x5D_2024)
        var decodedCount = 0
        for _ in 0..<20_000 {
            var input = rng.pick(seeds)
            for _ in 0..<rng.int(1...4) {
                let index = rng.int(0...(input.count - 1))
                input[index] =
                    rng.chance(0.5) ? UInt8(truncatingIfNeeded: rng.next()) : input[index] ^ (1 << rng.int(0...7))
            }
            if rng.chance(0.1) { input = Array(input.prefix(rng.int(0...input.count))) }
            guard let decoded = try? SecurityDescriptor(decoding: input) else { continue }
            decodedCount += 1
            let once = try decoded.encoded()
            #expect(once == input)
            #expect(try decoded.encoded() == once)
            #expect(try SecurityDescriptor(decoding: once) == decoded)
        }
        #expect(decodedCount > 1_000, "enough mutations decode for the round trip to be tested")
    }

    @Test func errorsSayWhatAndWhere() {
        func problem(_ input: [UInt8]) -> String {
            do {
                _ = try SecurityDescriptor(decoding: input)
                return "decoded"
            } catch { return error.description }
        }
        let valid = bytes(Samba.hv01)
        func patched(_ offset: Int, _ values: [UInt8]) -> [UInt8] {
            var b = valid
            b.replaceSubrange(offset..<(offset + values.count), with: values)
            return b
        }
        #expect(problem([]) == "security descriptor truncated: the header needs 20 bytes, 0 present at byte 0")
        #expect(problem(patched(0, [2])) == "security descriptor revision 2, expected 1 at byte 0")
        #expect(
            problem(patched(2, [0x04, 0x00]))
                == "security descriptor is not self-relative (SE_SELF_RELATIVE not set) at byte 2")
        #expect(problem(patched(4, le32(8))) == "owner offset 8 points into the header at byte 4")
        #expect(problem(patched(16, le32(4096))) == "DACL offset 4096 points past the end (80 bytes) at byte 16")
        #expect(problem(patched(20, [3])) == "SID revision 3, expected 1 at byte 20")
        #expect(problem(patched(21, [16])) == "SID has 16 sub-authorities, at most 15 at byte 21")
        #expect(problem(patched(36, [3])) == "DACL revision 3, expected 2 or 4 at byte 36")
        #expect(problem(patched(38, le16(7))) == "DACL size 7 is smaller than its header at byte 36")
        #expect(problem(patched(38, le16(45))) == "DACL truncated: it claims 45 bytes, 44 left at byte 36")
        #expect(problem(patched(40, le16(10))) == "DACL claims 10 ACEs in 44 bytes at byte 36")
        #expect(
            problem(patched(40, le16(2))) == "ACE 2 truncated: its header needs 4 bytes, 0 left in the DACL at byte 80")
        #expect(problem(patched(46, le16(0))) == "ACE 1 size 0 is smaller than its header at byte 44")
        #expect(problem(patched(46, le16(40))) == "ACE 1 truncated: it claims 40 bytes, 36 left in the DACL at byte 44")
        #expect(
            problem(patched(46, le16(12)))
                == "access-allowed ACE 1 of 12 bytes has no room for a mask and a SID at byte 44")
        #expect(problem(patched(53, [6])) == "SID truncated: 6 sub-authorities need 32 bytes, 28 left at byte 52")
    }

    /// The most ACEs an ACL can hold (16,381 of 4 bytes) decode and encode in linear time.
    @Test func theLargestACLIsLinear() throws {
        let aces = [[UInt8]](repeating: ace(type: 0x11, flags: 0, body: []), count: (65_535 - 8) / 4)
        let input = descriptor(control: 0x8004, [(.dacl, acl(aces))])
        let decoded = try roundTrip(input)
        #expect(decoded.dacl?.entries.count == 16_381)
    }

    @Test func tooLargeToEncodeIsAnError() throws {
        let sids = (0..<1_821).compactMap {
            SecurityIdentifier(authority: 5, subAuthorities: [21, 1, 2, 3, UInt32($0)])
        }
        #expect(
            try SecurityDescriptor.kcdctl(allowing: Array(sids.prefix(1_820))).encoded().count == 36 + 8 + 1_820 * 36)
        #expect(throws: SecurityDescriptorError.self) { try SecurityDescriptor.kcdctl(allowing: sids).encoded() }
    }
}

// MARK: - Adding and removing grants

@Suite struct SecurityDescriptorGrantUpdates {
    /// A DACL with everything kcdctl must not touch around its own grants.
    let mixed: [UInt8] = descriptor(
        control: 0x8004,
        [
            (
                .dacl,
                acl(
                    revision: 4,
                    [
                        deniedACE(hv03), allowedACE(hv01), allowedACE(mask: 0x1000_0000, user), objectACE(user),
                        allowedACE(flags: 0x02, hv03), allowedACE(hv03), allowedACE(flags: 0x10, domainUsers),
                    ])
            ), (.owner, ba.bytes),
        ])

    @Test func addingAnExistingGrantChangesNothing() throws {
        let before = try SecurityDescriptor(decoding: mixed)
        let after = before.updatingKcdctlGrants(adding: [hv01, hv03, hv01], removing: [])
        #expect(after == before)
        #expect(try after.encoded() == mixed)
    }

    @Test func removingLeavesGrantsOfAnotherFormAndTheOrder() throws {
        let before = try SecurityDescriptor(decoding: mixed)
        let after = before.updatingKcdctlGrants(adding: [], removing: [hv03, user, domainUsers])
        var expected = try #require(before.dacl?.entries)
        expected.remove(at: 5)
        #expect(after.dacl?.entries == expected, "only hv03's kcdctl-form ACE goes")
        #expect(after.kcdctlGrants == [hv01])
        #expect(after.layout == [.dacl, .owner] && after.dacl?.revision == 4)
        let reread = try SecurityDescriptor(decoding: after.encoded())
        #expect(reread == after)
    }

    @Test func addingGoesBeforeTheFirstInheritedACE() throws {
        let before = try SecurityDescriptor(decoding: mixed)
        let after = before.updatingKcdctlGrants(adding: [user, domainUsers], removing: [])
        let entries = try #require(after.dacl?.entries)
        let old = try #require(before.dacl?.entries)
        #expect(entries == Array(old.prefix(6)) + [.kcdctlGrant(user), .kcdctlGrant(domainUsers)] + [old[6]])
        #expect(after.kcdctlGrants == [hv01, hv03, user, domainUsers])
    }

    @Test func aSIDInBothListsIsRemoved() throws {
        let before = try SecurityDescriptor(decoding: bytes(Samba.hv01))
        #expect(before.updatingKcdctlGrants(adding: [hv01, hv03], removing: [hv01, hv03]).kcdctlGrants.isEmpty)
    }

    @Test func removingTheLastGrantLeavesAnEmptyDACL() throws {
        let after = try SecurityDescriptor(decoding: bytes(Samba.hv01)).updatingKcdctlGrants(
            adding: [], removing: [hv01])
        #expect(after.dacl == SecurityDescriptor.ACL(revision: 4, entries: []))
        #expect(try SecurityDescriptor(decoding: after.encoded()) == after)
    }

    @Test func addingWithoutADACLCreatesOne() throws {
        for input in [
            descriptor(control: 0x8004, [(.owner, ba.bytes)]), descriptor(control: 0x8000, [(.owner, ba.bytes)]),
        ] {
            let before = try SecurityDescriptor(decoding: input)
            #expect(before.updatingKcdctlGrants(adding: [], removing: [hv01]) == before)
            let after = before.updatingKcdctlGrants(adding: [hv01], removing: [])
            #expect(after.control.contains(.daclPresent) && after.dacl?.revision == 4)
            #expect(try SecurityDescriptor(decoding: after.encoded()).kcdctlGrants == [hv01])
        }
    }

    @Test func changedDescriptorsAreEncodedFromTheirParts() throws {
        var changed = try SecurityDescriptor(decoding: bytes(Samba.hv01hv03))
        changed.owner = domainUsers
        let reread = try SecurityDescriptor(decoding: changed.encoded())
        #expect(reread.owner == domainUsers && reread.kcdctlGrants == [hv01, hv03])
    }
}
