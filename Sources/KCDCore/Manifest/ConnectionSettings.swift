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
        try overrideCredentials(&settings, path: path, flags: flags, environment: environment)
        if let problem = settings.transportProblem(uri: uri) { throw UsageError(problem) }
        return ConnectionSettings(uri: uri, baseDN: baseDN, domain: domain, directory: settings)
    }
}

/// Which domain controller(s) a command may talk to.
public enum DirectoryLocator: Sendable, Equatable {
    /// Exactly one DC, named by `source`: `directory.uri`, `--uri` or `KCDCTL_URI`.
    case uri(String, source: String)
    /// The DCs the domain's DNS SRV records list (the site's first): `directory.domain` without a URI.
    case discover(domain: String, site: String?)
}

/// Where a command connects, before it knows which DC answers: the locator, and the base DN and domain when
/// they are known without asking a DC. Resolved like `ConnectionSettings` (flag > environment > manifest).
public struct DirectoryResolution: Sendable, Equatable {
    public var locator: DirectoryLocator
    /// nil: the DC's rootDSE `defaultNamingContext` (read once bound).
    public var baseDN: String?
    /// nil: derived from the base DN read from the DC.
    public var domain: String?
    /// The manifest's settings with the keytab and principal as overridden.
    public var directory: DirectorySettings

    public init(locator: DirectoryLocator, baseDN: String?, domain: String?, directory: DirectorySettings) {
        (self.locator, self.baseDN, self.domain, self.directory) = (locator, baseDN, domain, directory)
    }

    /// The base DN and domain, once bound to a DC that says its `defaultNamingContext` (hostile text: checked
    /// like a base DN written in the manifest).
    public func completed(defaultNamingContext: String?) throws -> (baseDN: String, domain: String) {
        if let baseDN, let domain { return (baseDN, domain) }
        guard let context = defaultNamingContext else {
            throw UsageError(
                "no base DN: the domain controller's rootDSE has no defaultNamingContext; set directory.baseDN")
        }
        if let problem = RootDSE.namingContextProblem(context) { throw UsageError(problem) }
        guard let domain = directory.domain ?? DirectorySettings.domain(fromBaseDN: context) else {
            throw UsageError(
                "cannot derive the DNS domain from the DC's defaultNamingContext \(Printable.quoted(context)): set directory.domain"
            )
        }
        return (context, domain)
    }
}

extension ConnectionSettings {
    /// The keytab and principal from the flags or the environment over the manifest's, and the rules on them.
    static func overrideCredentials(
        _ settings: inout DirectorySettings, path: String, flags: Flags, environment: [String: String]
    ) throws {
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
    }

    /// What `resolve` resolves, except that the URI may be left to discovery (`directory.domain` without a URI)
    /// and the base DN to the DC's rootDSE. Checked before a credential is read or a packet sent.
    /// - Throws: `UsageError` naming the missing or conflicting setting and where to set it.
    public static func resolveDirectory(
        manifest: Manifest, path: String, flags: Flags, environment: [String: String]
    ) throws -> DirectoryResolution {
        var settings = manifest.directory
        let locator: DirectoryLocator
        if let uri = flags.uri ?? environment[Variable.uri] ?? settings.uri {
            guard DirectorySettings.hasLDAPScheme(uri) else {
                throw UsageError("directory URI '\(uri)' must start with ldaps:// or ldap://")
            }
            let source = flags.uri != nil ? "--uri" : environment[Variable.uri] != nil ? Variable.uri : "directory.uri"
            locator = .uri(uri, source: source)
        } else if let domain = settings.domain {
            locator = .discover(domain: domain, site: settings.site)
        } else {
            throw UsageError(
                "no domain controller to connect to: set directory.domain in \(path) to discover the DCs through DNS, "
                    + "or name one with directory.uri, --uri or \(Variable.uri)")
        }
        let baseDN = flags.baseDN ?? environment[Variable.baseDN] ?? settings.baseDN
        var domain = settings.domain
        if let baseDN, domain == nil {
            guard let derived = DirectorySettings.domain(fromBaseDN: baseDN) else {
                throw UsageError(
                    "cannot derive the DNS domain from base DN '\(baseDN)': set directory.domain in \(path)")
            }
            domain = derived
        }
        try overrideCredentials(&settings, path: path, flags: flags, environment: environment)
        let uri =
            switch locator {
            case let .uri(uri, _): uri
            case .discover: DomainControllerDiscovery.uri(for: SRVTarget(host: "dc.invalid", port: 389), settings)
            }
        if let problem = settings.transportProblem(uri: uri) { throw UsageError(problem) }
        return DirectoryResolution(locator: locator, baseDN: baseDN, domain: domain, directory: settings)
    }
}
