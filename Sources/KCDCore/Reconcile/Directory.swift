/// A computer object as the directory holds it: the attributes kcdctl reads.
public struct ObservedComputer: Sendable, Equatable {
    /// The computer name: `sAMAccountName` without its `$`.
    public var name: String
    public var dn: String
    public var dnsHostName: String?
    public var userAccountControl: UserAccountControl
    /// `msDS-AllowedToDelegateTo`, exactly as stored.
    public var allowedToDelegateTo: [String]
    public var servicePrincipalNames: [String]
    /// Bumped by every write to the object.
    public var usnChanged: String?
    /// When the object last changed (GeneralizedTime, e.g. `20261125160702.0Z`).
    public var whenChanged: String?
    /// `objectSid`; nil when absent or not a well-formed SID.
    public var objectSid: SecurityIdentifier?
    /// `msDS-AllowedToActOnBehalfOfOtherIdentity` exactly as stored (a self-relative security descriptor,
    /// decoded by the reconciler as hostile input); nil when the attribute is absent.
    public var allowedToActOnBehalf: [UInt8]?

    public init(
        name: String, dn: String, dnsHostName: String? = nil, userAccountControl: UserAccountControl,
        allowedToDelegateTo: [String] = [], servicePrincipalNames: [String] = [], usnChanged: String? = nil,
        whenChanged: String? = nil, objectSid: SecurityIdentifier? = nil, allowedToActOnBehalf: [UInt8]? = nil
    ) {
        self.whenChanged = whenChanged
        self.objectSid = objectSid
        self.allowedToActOnBehalf = allowedToActOnBehalf
        self.name = name
        self.dn = dn
        self.dnsHostName = dnsHostName
        self.userAccountControl = userAccountControl
        self.allowedToDelegateTo = allowedToDelegateTo
        self.servicePrincipalNames = servicePrincipalNames
        self.usnChanged = usnChanged
    }
}

/// The forest's `sPNMappings`: service classes that an account's `HOST/` SPN stands for
/// (`host=alerter,…,cifs,…`). A KDC finds `cifs/X` on the account that registers `HOST/X`.
public struct SPNMappings: Sendable, Equatable {
    /// alias service class (lowercased) → the class it maps to (lowercased), e.g. `cifs` → `host`.
    public var aliases: [String: String]

    public init(aliases: [String: String] = [:]) { self.aliases = aliases }

    /// From the attribute's values, each `target=alias1,alias2,…`.
    public init(values: [String]) {
        var aliases: [String: String] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let target = parts[0].trimmingWhitespace().lowercased()
            for alias in parts[1].split(separator: ",") {
                aliases[alias.trimmingWhitespace().lowercased()] = target
            }
        }
        self.aliases = aliases
    }

    /// The SPN that `spn` stands for through the mappings (`cifs/X` → `host/X`), or nil.
    public func mapped(_ spn: SPN) -> SPN? {
        aliases[spn.serviceClass.lowercased()].map { spn.replacingServiceClass(with: $0) }
    }

    /// Whether `spn` is served by an account that registers `registered` (its few SPNs, compared one by one):
    /// literally, or `cifs/X` through `HOST/X`.
    public func isSatisfied(_ spn: SPN, byAnyOf registered: [SPN]) -> Bool {
        if registered.contains(spn) { return true }
        let key = spn.key
        guard let slash = key.firstIndex(of: "/"), let target = aliases[String(key[..<slash])] else { return false }
        let rest = key[slash...]
        return registered.contains { $0.key.hasPrefix(target) && $0.key.dropFirst(target.count) == rest }
    }
}

/// Where the observed state comes from and changes go to: Active Directory over LDAP in production.
/// Implementations read in batches and apply one host's change as one atomic request.
public protocol Directory {
    /// The computer objects with these names (sAMAccountName without `$`); names with no object are absent.
    func computers(named names: [String]) throws -> [ObservedComputer]
    func spnMappings() throws -> SPNMappings
    /// All of the change or none of it: one request whose value-level operations double as preconditions.
    /// Throws `ChangedMeanwhile` when the directory refused it because the object changed, and
    /// `OutcomeUnknown` when the request may have reached the directory but no answer came back.
    func apply(_ change: HostChange) throws
    /// A fresh connection after one was lost, so that what happened can be read back.
    func reconnect() throws
    /// The names of the computers whose `msDS-AllowedToDelegateTo` holds any of `spns`: who still delegates
    /// to the manifest's hosts, such as a host dropped from the manifest. Names only: a cheap read.
    func delegators(to spns: [String]) throws -> [String]
    /// The accounts whose `objectSid` is one of `sids` (any kind of account); SIDs no account has are absent.
    func accounts(withSIDs sids: [SecurityIdentifier]) throws -> [SecurityIdentifier: SIDOwner]
}

extension Directory {
    public func reconnect() throws {}
    public func delegators(to spns: [String]) throws -> [String] { [] }
    public func accounts(withSIDs sids: [SecurityIdentifier]) throws -> [SecurityIdentifier: SIDOwner] { [:] }
}

/// The account a SID in a security descriptor belongs to.
public struct SIDOwner: Sendable, Equatable {
    /// `sAMAccountName` as stored (a computer's ends in `$`).
    public var accountName: String
    /// Whether it is a computer account (objectClass computer): only those kcdctl ever removes.
    public var isComputer: Bool

    public init(accountName: String, isComputer: Bool) {
        (self.accountName, self.isComputer) = (accountName, isComputer)
    }
}

/// The request may have been applied: it was sent (or sending failed in a way that does not tell), and
/// no answer came back. Only reading the object again tells what happened.
public struct OutcomeUnknown: Error, CustomStringConvertible {
    public var host: String
    public var cause: any Error
    public init(host: String, cause: any Error) {
        self.host = host
        self.cause = cause
    }
    public var description: String {
        "no answer from the directory (\(cause)): the change may or may not have been applied"
    }
}

/// An error the directory answered with a result code, e.g. LDAP's `insufficientAccessRights` (50): the audit
/// trail records the code and its name.
public protocol DirectoryResultError: Error {
    var resultCode: Int32 { get }
    var resultName: String { get }
}
