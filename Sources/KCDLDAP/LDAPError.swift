// The error of a failed LDAP operation, as an operator reads it.
import KCDCore

/// A failed LDAP operation: the result code with its RFC 4511 name, what kcdctl was doing, on which DN,
/// and the server's diagnostic message. Never carries a credential.
public struct LDAPError: Error, Equatable, CustomStringConvertible {
    public var code: LDAPResultCode
    public var operation: String
    public var dn: String?
    public var diagnostic: String?
    /// The URLs of a referral (result 10): where a read-only DC sends a write.
    public var referrals: [String] = []

    public init(code: LDAPResultCode, operation: String, dn: String? = nil, diagnostic: String? = nil) {
        self.code = code
        self.operation = operation
        self.dn = dn
        self.diagnostic = diagnostic
    }

    /// Whether a write that ended with this error may still have been applied (see `LDAPResultCode`).
    public var requestMayHaveBeenApplied: Bool { code.requestMayHaveBeenApplied }

    /// The result code's name, e.g. `insufficientAccessRights`.
    public var name: String { code.name }

    /// libldap's own text for the code, e.g. "Insufficient access".
    public var text: String { code.text }

    public var description: String {
        hint.map { "\(summary). \($0)" } ?? summary
    }

    /// The description without the hint: what a list of DCs tried says of each.
    public var summary: String {
        var s = "LDAP \(operation)"
        if let dn { s += " of \(dn)" }
        s += " failed: \(code) (\(text))"
        if let diagnostic, !diagnostic.isEmpty { s += ": \(diagnostic)" }
        return s
    }

    /// What to do about the common ones.
    var hint: String? {
        switch code {
        case .insufficientAccessRights:
            "Writing msDS-AllowedToDelegateTo and the delegation bits of userAccountControl needs write access to "
                + "them and the SeEnableDelegationPrivilege user right on the domain controllers (Domain Admins "
                + "have both); msDS-AllowedToActOnBehalfOfOtherIdentity (resource-based) needs write access to it "
                + "only"
        case .invalidCredentials: "Check the bind DN and the password"
        case .strongerAuthRequired:
            "The server requires an encrypted connection for this bind: use ldaps:// or StartTLS"
        case .serverDown:
            "Check the URI, that the server listens there and, for TLS, that its certificate is trusted "
                + "(directory.tls.caFile) and carries the name in the URI"
        case .timeout: "Raise --timeout if the server is only slow"
        case .adminLimitExceeded where operation.hasPrefix("modify"):
            "The object would hold more values across its multi-valued attributes (msDS-AllowedToDelegateTo and "
                + "servicePrincipalName together) than the DC stores in one record; set directory.valueLimit to what "
                + "this DC takes so that plan refuses it beforehand, and \(ValueBudget.advice)"
        case .constraintViolation where operation.contains("msDS-AllowedToActOnBehalfOfOtherIdentity"):
            "If the server says the attribute can only be modified as system, this domain controller lets no LDAP "
                + "client write msDS-AllowedToActOnBehalfOfOtherIdentity: its schema marks the attribute system-only "
                + "and, unlike Windows DCs, it enforces that for administrators too (Samba 4.17 does)"
        default: nil
        }
    }
}

extension LDAPError: DirectoryResultError {
    public var resultCode: Int32 { code.number }
    public var resultName: String { code.name }
}
