/// Where and how a command connects: the manifest's `directory:` settings, with what the command line and the
/// environment override (flag > environment > manifest). Resolved and checked before a credential is read or
/// a packet sent, so that a wrong setting is one line naming where to fix it.
public struct ConnectionSettings: Sendable, Equatable {
    public var uri: String
    public var baseDN: String
    /// DNS suffix of the FQDN name forms: directory.domain, or derived from the base DN.
    public var domain: String
    /// The manifest's settings with the keytab and principal as overridden.
    public var directory: DirectorySettings

    /// The options that override the manifest (`--uri`, `--base-dn`, `--keytab`, `--principal`).
    public struct Flags: Sendable {
        public var uri: String?
        public var baseDN: String?
        public var keytab: String?
        public var principal: String?

        public init(uri: String? = nil, baseDN: String? = nil, keytab: String? = nil, principal: String? = nil) {
            (self.uri, self.baseDN, self.keytab, self.principal) = (uri, baseDN, keytab, principal)
        }
    }

    /// The environment variable that overrides each setting when no flag does.
    public enum Variable {
        public static let uri = "KCDCTL_URI"
        public static let baseDN = "KCDCTL_BASE_DN"
        public static let keytab = "KCDCTL_KEYTAB"
        public static let principal = "KCDCTL_PRINCIPAL"
    }

    /// - Parameter path: the manifest's path, named in the errors.
    /// - Throws: `UsageError` naming the missing or conflicting setting and where to set it.
    public static func resolve(
        manifest: Manifest, path: String, flags: Flags, environment: [String: String]
    ) throws -> ConnectionSettings {
        var settings = manifest.directory
        guard let uri = flags.uri ?? environment[Variable.uri] ?? settings.uri else {
            throw UsageError("no directory URI: set directory.uri in \(path), --uri or \(Variable.uri)")
        }
        guard DirectorySettings.hasLDAPScheme(uri) else {
            throw UsageError("directory URI '\(uri)' must start with ldaps:// or ldap://")
        }
        guard let baseDN = flags.baseDN ?? environment[Variable.baseDN] ?? settings.baseDN else {
            throw UsageError("no base DN: set directory.baseDN in \(path), --base-dn or \(Variable.baseDN)")
        }
        guard let domain = settings.domain ?? DirectorySettings.domain(fromBaseDN: baseDN) else {
            throw UsageError("cannot derive the DNS domain from base DN '\(baseDN)': set directory.domain in \(path)")
        }
        if let keytab = flags.keytab ?? environment[Variable.keytab] { settings.auth.keytab = keytab }
        if let principal = flags.principal ?? environment[Variable.principal] { settings.auth.principal = principal }
        if settings.auth.method == .simple, settings.auth.keytab != nil || settings.auth.principal != nil {
            throw UsageError(
                "--keytab and --principal (\(Variable.keytab), \(Variable.principal)) need "
                    + "directory.auth.method: gssapi in \(path)")
        }
        if settings.auth.keytabLacksPrincipal {
            throw UsageError(
                "a keytab needs a principal: set directory.auth.principal in \(path), --principal or "
                    + Variable.principal)
        }
        if let problem = settings.transportProblem(uri: uri) { throw UsageError(problem) }
        return ConnectionSettings(uri: uri, baseDN: baseDN, domain: domain, directory: settings)
    }
}
