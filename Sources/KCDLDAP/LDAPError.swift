import CLDAP
import KCDCore

/// A failed LDAP operation: the result code with its RFC 4511 name, what kcdctl was doing, on which DN,
/// and the server's diagnostic message. Never carries a credential.
public struct LDAPError: Error, Equatable, CustomStringConvertible {
    public var code: Int32
    public var operation: String
    public var dn: String?
    public var diagnostic: String?

    public init(code: Int32, operation: String, dn: String? = nil, diagnostic: String? = nil) {
        self.code = code
        self.operation = operation
        self.dn = dn
        self.diagnostic = diagnostic
    }

    public static let typeOrValueExists: Int32 = 20
    public static let noSuchAttribute: Int32 = 16
    public static let strongAuthRequired: Int32 = 8
    public static let invalidCredentials: Int32 = 49
    public static let insufficientAccessRights: Int32 = 50

    /// Whether a write that ended with this code may still have been applied: the connection went away or
    /// went silent after the request may have left (serverDown, localError, decodingError, timeout), so no
    /// result from the server says what it did.
    public var requestMayHaveBeenApplied: Bool { [-1, -2, -4, -5].contains(code) }

    /// The result code's name, e.g. `insufficientAccessRights`.
    public var name: String { Self.names[code] ?? "code\(code)" }

    /// libldap's own text for the code, e.g. "Insufficient access".
    public var text: String { String(cString: ldap_err2string(code)) }

    public var description: String {
        var s = "LDAP \(operation)"
        if let dn { s += " of \(dn)" }
        s += " failed: \(code) \(name) (\(text))"
        if let diagnostic, !diagnostic.isEmpty { s += ": \(diagnostic)" }
        if let hint { s += ". \(hint)" }
        return s
    }

    /// What to do about the common ones.
    var hint: String? {
        switch code {
        case Self.insufficientAccessRights:
            "Writing msDS-AllowedToDelegateTo and the delegation bits of userAccountControl needs write access to them and the SeEnableDelegationPrivilege user right on the domain controllers (Domain Admins have both)"
        case Self.invalidCredentials: "Check the bind DN and the password"
        case Self.strongAuthRequired: "The server requires an encrypted connection for this bind: use ldaps:// or StartTLS"
        case -1: "Check the URI, that the server listens there and, for TLS, that its certificate is trusted (directory.tls.caFile) and carries the name in the URI"
        case -5: "Raise --timeout if the server is only slow"
        default: nil
        }
    }

    static let names: [Int32: String] = [
        0: "success", 1: "operationsError", 2: "protocolError", 3: "timeLimitExceeded", 4: "sizeLimitExceeded",
        7: "authMethodNotSupported", 8: "strongerAuthRequired", 10: "referral", 11: "adminLimitExceeded",
        12: "unavailableCriticalExtension", 13: "confidentialityRequired", 14: "saslBindInProgress",
        16: "noSuchAttribute", 17: "undefinedAttributeType", 18: "inappropriateMatching", 19: "constraintViolation",
        20: "attributeOrValueExists", 21: "invalidAttributeSyntax", 32: "noSuchObject", 33: "aliasProblem",
        34: "invalidDNSyntax", 36: "aliasDereferencingProblem", 48: "inappropriateAuthentication",
        49: "invalidCredentials", 50: "insufficientAccessRights", 51: "busy", 52: "unavailable",
        53: "unwillingToPerform", 54: "loopDetect", 64: "namingViolation", 65: "objectClassViolation",
        66: "notAllowedOnNonLeaf", 67: "notAllowedOnRDN", 68: "entryAlreadyExists", 69: "objectClassModsProhibited",
        71: "affectsMultipleDSAs", 80: "other",
        -1: "serverDown", -2: "localError", -3: "encodingError", -4: "decodingError", -5: "timeout",
        -6: "authUnknown", -7: "filterError", -8: "userCancelled", -9: "paramError", -10: "noMemory",
        -11: "connectError", -12: "notSupported", -13: "controlNotFound", -14: "noResultsReturned",
        -15: "moreResultsToReturn", -16: "clientLoop", -17: "referralLimitExceeded",
    ]
}

extension LDAPError: DirectoryResultError {
    public var resultCode: Int32 { code }
    public var resultName: String { name }
}
