/// A Windows security identifier (SID, MS-DTYP 2.4.2), e.g. `S-1-5-21-1437807177-1262385074-853778614-1104`.
///
/// RBCD names the accounts allowed to delegate by SID, in binary inside a security descriptor; plans, JSON and
/// LDAP filters use the string form. Both forms are read strictly, because both come from outside (the directory,
/// a file, a saved plan): only the canonical string is accepted, so that a SID string always equals its own round
/// trip and can serve as a key.
///
/// String rules, MS-DTYP 2.4.2.1 without its leniencies: `S-1-` (capital `S`, revision 1), the identifier
/// authority in decimal below 2^32 or as `0x` and exactly 12 hex digits, then 0 to 15 sub-authorities in decimal
/// below 2^32. Decimal numbers have no sign and no leading zeros (`0` itself is fine): Windows and Samba never
/// write them, and accepting `S-1-5-032-544` would give one SID two spellings.
public struct SecurityIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The 48-bit identifier authority, e.g. 5 for NT AUTHORITY.
    public let authority: UInt64
    /// At most 15 sub-authorities; for an account in a domain, the domain's and then the RID.
    public let subAuthorities: [UInt32]

    /// The most sub-authorities a SID may have (MS-DTYP: SubAuthorityCount, at most 15).
    public static let maximumSubAuthorities = 15
    /// Longer strings are refused before they are looked at: the longest SID string is 184 characters.
    static let maximumStringLength = 256

    /// `S-1-5-32-544`, BUILTIN\Administrators: the owner of the descriptor kcdctl writes.
    public static let builtinAdministrators = SecurityIdentifier(checked: 5, [32, 544])
    /// `S-1-1-0`, Everyone.
    public static let everyone = SecurityIdentifier(checked: 1, [0])

    /// A SID from its parts, or nil when the authority does not fit 48 bits or there are more than 15
    /// sub-authorities.
    public init?(authority: UInt64, subAuthorities: [UInt32]) {
        guard authority < 1 << 48, subAuthorities.count <= Self.maximumSubAuthorities else { return nil }
        self.authority = authority
        self.subAuthorities = subAuthorities
    }

    private init(checked authority: UInt64, _ subAuthorities: [UInt32]) {
        self.authority = authority
        self.subAuthorities = subAuthorities
    }

    /// The relative identifier: the last sub-authority (an account's RID in its domain), or nil when there is none.
    public var rid: UInt32? { subAuthorities.last }

    /// The SID without its last sub-authority: for an account, its domain's SID. Nil when there is none.
    public var domain: SecurityIdentifier? {
        subAuthorities.isEmpty ? nil : SecurityIdentifier(checked: authority, Array(subAuthorities.dropLast()))
    }

    /// The string form: the authority in decimal when below 2^32, else as `0x` and 12 hex digits (MS-DTYP).
    public var description: String {
        var text = "S-1-"
        if authority < 1 << 32 {
            text += String(authority)
        } else {
            let digits = String(authority, radix: 16, uppercase: true)
            text += "0x" + String(repeating: "0", count: 12 - digits.count) + digits
        }
        for subAuthority in subAuthorities {
            text += "-" + String(subAuthority)
        }
        return text
    }
}

// MARK: - String form

extension SecurityIdentifier {
    /// Why a string is not a SID; `description` quotes the string escaped and cut (it may be hostile).
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        public let text: String
        public let problem: String

        public var description: String { "\(Printable.quoted(text)) is not a SID: \(problem)" }
    }

    /// Parses the canonical string form (see the type's rules), e.g. `S-1-5-32-544`.
    public init(_ text: String) throws(SyntaxError) {
        func refuse(_ problem: String) -> SyntaxError { SyntaxError(text: text, problem: problem) }
        let utf8 = text.utf8
        guard utf8.count <= Self.maximumStringLength else { throw refuse("longer than any SID") }
        guard utf8.starts(with: "S-1-".utf8) else { throw refuse("it must start with S-1-") }
        let parts = utf8.dropFirst(4).split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard let authorityText = parts.first else { throw refuse("no identifier authority") }
        guard let authority = Self.authority(authorityText) else {
            throw refuse("identifier authority must be decimal below 2^32 or 0x and 12 hex digits")
        }
        guard parts.count - 1 <= Self.maximumSubAuthorities else {
            throw refuse("more than \(Self.maximumSubAuthorities) sub-authorities")
        }
        var subAuthorities: [UInt32] = []
        for (index, part) in parts.dropFirst().enumerated() {
            guard let value = Self.decimal(part) else {
                throw refuse("sub-authority \(index + 1) must be a decimal number below 2^32 without leading zeros")
            }
            subAuthorities.append(UInt32(value))
        }
        self.init(checked: authority, subAuthorities)
        // One spelling per SID: a hex authority below 2^32, `0X`, lower-case hex digits are refused.
        guard description == text else { throw refuse("not the SID's canonical spelling \(description)") }
    }

    /// `5` or `0x00000000000A`: decimal below 2^32, or `0x` with exactly 12 hex digits.
    private static func authority(_ text: Substring.UTF8View) -> UInt64? {
        if text.starts(with: "0x".utf8) || text.starts(with: "0X".utf8) {
            let digits = text.dropFirst(2)
            guard digits.count == 12 else { return nil }
            var value: UInt64 = 0
            for byte in digits {
                guard let digit = hexDigit(byte) else { return nil }
                value = value << 4 | UInt64(digit)
            }
            return value
        }
        return decimal(text)
    }

    /// ASCII decimal digits only, no leading zero, below 2^32; at most 10 digits, so the sum cannot overflow.
    private static func decimal(_ text: Substring.UTF8View) -> UInt64? {
        guard (1...10).contains(text.count), text.count == 1 || text.first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max) ? value : nil
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// In JSON (plans, audit records) a SID is its string form.
extension SecurityIdentifier: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: - Binary form

extension SecurityIdentifier {
    /// The binary form (MS-DTYP 2.4.2.2), as in `objectSid`: revision 1, the sub-authority count, the authority as
    /// 6 bytes big-endian, then each sub-authority as 4 bytes little-endian.
    public var bytes: [UInt8] {
        var out: [UInt8] = [1, UInt8(subAuthorities.count)]
        out.reserveCapacity(8 + 4 * subAuthorities.count)
        for shift in stride(from: 40, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: authority >> UInt64(shift)))
        }
        for subAuthority in subAuthorities {
            out.appendLittleEndian(subAuthority)
        }
        return out
    }

    /// The number of bytes of the binary form.
    var byteCount: Int { 8 + 4 * subAuthorities.count }

    /// A binary SID that fills `bytes` exactly, e.g. an `objectSid` value.
    public init(bytes: [UInt8]) throws(SecurityDescriptorError) {
        let sid = try Self.read(bytes, at: 0, end: bytes.count)
        guard sid.byteCount == bytes.count else {
            throw SecurityDescriptorError("bytes after the end of the SID", offset: sid.byteCount)
        }
        self = sid
    }

    /// Reads the binary SID that starts at `offset` and must end by `end`; errors name byte offsets in `bytes`.
    static func read(_ bytes: [UInt8], at offset: Int, end: Int) throws(SecurityDescriptorError) -> SecurityIdentifier {
        guard offset >= 0, end <= bytes.count, offset <= end - 8 else {
            throw SecurityDescriptorError("SID truncated: needs 8 bytes, \(max(0, end - offset)) left", offset: offset)
        }
        guard bytes[offset] == 1 else {
            throw SecurityDescriptorError("SID revision \(bytes[offset]), expected 1", offset: offset)
        }
        let count = Int(bytes[offset + 1])
        guard count <= maximumSubAuthorities else {
            throw SecurityDescriptorError(
                "SID has \(count) sub-authorities, at most \(maximumSubAuthorities)", offset: offset + 1)
        }
        guard 8 + 4 * count <= end - offset else {
            throw SecurityDescriptorError(
                "SID truncated: \(count) sub-authorities need \(8 + 4 * count) bytes, \(end - offset) left",
                offset: offset)
        }
        var authority: UInt64 = 0
        for byte in bytes[(offset + 2)..<(offset + 8)] {
            authority = authority << 8 | UInt64(byte)
        }
        var subAuthorities: [UInt32] = []
        subAuthorities.reserveCapacity(count)
        for index in 0..<count {
            subAuthorities.append(bytes.littleEndianUInt32(at: offset + 8 + 4 * index))
        }
        return SecurityIdentifier(checked: authority, subAuthorities)
    }
}

extension [UInt8] {
    /// The little-endian 16-bit value at `offset`; the caller has checked that two bytes are there.
    func littleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    /// The little-endian 32-bit value at `offset`; the caller has checked that four bytes are there.
    func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }

    mutating func appendLittleEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        for shift in stride(from: 0, through: 24, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }
}
