// LDAP result codes as a type: the number, its RFC 4511 name, libldap's text.
internal import CLDAP

/// The result of an LDAP operation: a result code a server sent (RFC 4511, 4.1.9), or one of libldap's
/// client-side codes (negative: the connection went away, no answer in time, a bad parameter).
///
/// A struct rather than an enum because a server may send a code no list here knows; it still has a number
/// and prints as `code<N>`. The constants name what kcdctl acts on, like swift-system's `Errno`.
public struct LDAPResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The number on the wire (negative for libldap's own codes).
    public var number: Int32 { rawValue }

    /// The RFC 4511 name, e.g. `insufficientAccessRights`; libldap's codes by their C names in camel case
    /// (`serverDown` for `LDAP_SERVER_DOWN`).
    public var name: String { Self.names[rawValue] ?? "code\(rawValue)" }

    /// libldap's own text for the code, e.g. "Insufficient access".
    public var text: String {
        guard let text = ldap_err2string(rawValue) else { return "" }
        return String(cString: text)
    }

    /// `50 insufficientAccessRights`
    public var description: String { "\(number) \(name)" }

    /// Whether a write that ended with this code may still have been applied: the connection went away or
    /// went silent after the request may have left, so no result from the server says what it did.
    public var requestMayHaveBeenApplied: Bool {
        [Self.serverDown, .localError, .decodingError, .timeout].contains(self)
    }

    // What the server answers (RFC 4511).
    public static let success = Self(LDAP_SUCCESS)
    public static let protocolError = Self(LDAP_PROTOCOL_ERROR)
    /// `LDAP_STRONG_AUTH_REQUIRED`: e.g. a simple bind without TLS on AD or Samba.
    public static let strongerAuthRequired = Self(LDAP_STRONG_AUTH_REQUIRED)
    public static let unavailableCriticalExtension = Self(LDAP_UNAVAILABLE_CRITICAL_EXTENSION)
    public static let confidentialityRequired = Self(LDAP_CONFIDENTIALITY_REQUIRED)
    /// A value-level delete of a value that is not there: someone changed the entry since it was read.
    public static let noSuchAttribute = Self(LDAP_NO_SUCH_ATTRIBUTE)
    /// `LDAP_TYPE_OR_VALUE_EXISTS`: a value-level add of a value already there.
    public static let attributeOrValueExists = Self(LDAP_TYPE_OR_VALUE_EXISTS)
    /// `LDAP_CONSTRAINT_VIOLATION` (19): e.g. Samba's answer to any LDAP write of a system-only attribute.
    public static let constraintViolation = Self(LDAP_CONSTRAINT_VIOLATION)
    /// `LDAP_ADMINLIMIT_EXCEEDED` (11): on a modify, Active Directory's answer when the object's record would be
    /// too large (about 1,200 non-linked multi-valued values with 8 KB pages).
    public static let adminLimitExceeded = Self(LDAP_ADMINLIMIT_EXCEEDED)
    public static let noSuchObject = Self(LDAP_NO_SUCH_OBJECT)
    /// `LDAP_REFERRAL` (10): the server will not do it and names another; a read-only DC's answer to a write.
    public static let referral = Self(LDAP_REFERRAL)
    /// `LDAP_INAPPROPRIATE_AUTH` (48).
    public static let inappropriateAuthentication = Self(LDAP_INAPPROPRIATE_AUTH)
    /// `LDAP_AUTH_METHOD_NOT_SUPPORTED` (7).
    public static let authMethodNotSupported = Self(LDAP_AUTH_METHOD_NOT_SUPPORTED)
    public static let busy = Self(LDAP_BUSY)
    public static let unavailable = Self(LDAP_UNAVAILABLE)
    public static let invalidCredentials = Self(LDAP_INVALID_CREDENTIALS)
    public static let insufficientAccessRights = Self(LDAP_INSUFFICIENT_ACCESS)
    public static let unwillingToPerform = Self(LDAP_UNWILLING_TO_PERFORM)

    // libldap's client-side codes.
    /// `LDAP_SERVER_DOWN` (-1): no connection, or it broke.
    public static let serverDown = Self(LDAP_SERVER_DOWN)
    public static let localError = Self(LDAP_LOCAL_ERROR)
    public static let decodingError = Self(LDAP_DECODING_ERROR)
    /// `LDAP_TIMEOUT` (-5): no answer within the deadline.
    public static let timeout = Self(LDAP_TIMEOUT)
    public static let paramError = Self(LDAP_PARAM_ERROR)
    public static let connectError = Self(LDAP_CONNECT_ERROR)
    public static let noResultsReturned = Self(LDAP_NO_RESULTS_RETURNED)

    private static let names: [Int32: String] = [
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
