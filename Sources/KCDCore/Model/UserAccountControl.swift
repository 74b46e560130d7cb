/// The `userAccountControl` bits of an account. kcdctl changes only the two delegation bits
/// and carries every other bit through untouched.
public struct UserAccountControl: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let script = Self(rawValue: 0x1)
    public static let accountDisable = Self(rawValue: 0x2)
    public static let homedirRequired = Self(rawValue: 0x8)
    public static let lockout = Self(rawValue: 0x10)
    public static let passwordNotRequired = Self(rawValue: 0x20)
    public static let passwordCantChange = Self(rawValue: 0x40)
    public static let encryptedTextPasswordAllowed = Self(rawValue: 0x80)
    public static let tempDuplicateAccount = Self(rawValue: 0x100)
    public static let normalAccount = Self(rawValue: 0x200)
    public static let interdomainTrustAccount = Self(rawValue: 0x800)
    public static let workstationTrustAccount = Self(rawValue: 0x1000)
    public static let serverTrustAccount = Self(rawValue: 0x2000)
    public static let dontExpirePassword = Self(rawValue: 0x10000)
    public static let mnsLogonAccount = Self(rawValue: 0x20000)
    public static let smartcardRequired = Self(rawValue: 0x40000)
    /// Unconstrained delegation ("Trust this computer for delegation to any service"). Never set by kcdctl.
    public static let trustedForDelegation = Self(rawValue: 0x80000)
    /// "Account is sensitive and cannot be delegated".
    public static let notDelegated = Self(rawValue: 0x100000)
    public static let useDESKeyOnly = Self(rawValue: 0x200000)
    public static let dontRequirePreauth = Self(rawValue: 0x400000)
    public static let passwordExpired = Self(rawValue: 0x800000)
    /// Protocol transition: constrained delegation with "Use any authentication protocol".
    public static let trustedToAuthForDelegation = Self(rawValue: 0x1000000)
    public static let partialSecretsAccount = Self(rawValue: 0x4000000)
    /// The two delegation bits: the only bits of userAccountControl kcdctl ever changes.
    public static let delegationFlags: Self = [.trustedForDelegation, .trustedToAuthForDelegation]

    static let names: [(UserAccountControl, String)] = [
        (.script, "SCRIPT"), (.accountDisable, "ACCOUNTDISABLE"), (.homedirRequired, "HOMEDIR_REQUIRED"),
        (.lockout, "LOCKOUT"), (.passwordNotRequired, "PASSWD_NOTREQD"), (.passwordCantChange, "PASSWD_CANT_CHANGE"),
        (.encryptedTextPasswordAllowed, "ENCRYPTED_TEXT_PWD_ALLOWED"),
        (.tempDuplicateAccount, "TEMP_DUPLICATE_ACCOUNT"),
        (.normalAccount, "NORMAL_ACCOUNT"), (.interdomainTrustAccount, "INTERDOMAIN_TRUST_ACCOUNT"),
        (.workstationTrustAccount, "WORKSTATION_TRUST_ACCOUNT"), (.serverTrustAccount, "SERVER_TRUST_ACCOUNT"),
        (.dontExpirePassword, "DONT_EXPIRE_PASSWORD"), (.mnsLogonAccount, "MNS_LOGON_ACCOUNT"),
        (.smartcardRequired, "SMARTCARD_REQUIRED"), (.trustedForDelegation, "TRUSTED_FOR_DELEGATION"),
        (.notDelegated, "NOT_DELEGATED"), (.useDESKeyOnly, "USE_DES_KEY_ONLY"),
        (.dontRequirePreauth, "DONT_REQ_PREAUTH"), (.passwordExpired, "PASSWORD_EXPIRED"),
        (.trustedToAuthForDelegation, "TRUSTED_TO_AUTH_FOR_DELEGATION"),
        (.partialSecretsAccount, "PARTIAL_SECRETS_ACCOUNT"),
    ]

    /// The flag names set, in bit order; bits without a name as hex.
    public var flagNames: [String] {
        var rest = self
        var out: [String] = []
        for (flag, name) in Self.names where contains(flag) {
            out.append(name)
            rest.remove(flag)
        }
        if !rest.isEmpty { out.append(Self.hex(rest.rawValue)) }
        return out
    }

    /// How LDAP carries it: a signed 32-bit decimal.
    public var ldapValue: String { String(Int32(bitPattern: rawValue)) }

    public init?(ldapValue: String) {
        guard let v = Int64(ldapValue), v >= Int64(Int32.min), v <= Int64(UInt32.max) else { return nil }
        self.init(rawValue: UInt32(truncatingIfNeeded: v))
    }

    /// `0x1001000`
    public var description: String { Self.hex(rawValue) }

    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}
