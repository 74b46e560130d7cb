import Foundation
import KCDCore
import KCDLDAP
import Logging

/// A manifest and a bound connection to the directory it names, for the commands that read or write AD.
struct Session {
    let manifestPath: String
    let manifest: Manifest
    let uri: String
    let baseDN: String
    let domain: String
    let directory: ActiveDirectory
    let logger: Logger
    /// Who kcdctl bound as: the bind DN, or the Kerberos principal.
    let bindIdentity: String
    /// Where a GSSAPI bind's credentials came from.
    let credentialSource: String?
    /// The DC this session talks to, and how it was found.
    let domainController: DomainControllerCandidate
    /// The DCs tried before it, and why each was not used.
    let tried: [DomainControllerAttempt]
    /// Whether the DC was found through DNS (no URI configured): a saved plan is then checked by its base DN.
    let discovered: Bool
    /// Connect to a DC's URI and bind with this session's credentials (for the replication wait).
    let connect: (String) throws -> LDAPConnection
    /// The directory settings: another DC's URI follows the same transport rules.
    let settings: DirectorySettings

    var connection: LDAPConnection { directory.connection }

    var reconciliation: Reconciliation {
        Reconciliation(manifest: manifest, domain: domain, directory: directory)
    }

    /// Loads and checks the manifest, takes the credentials, connects and binds. Everything that can be
    /// wrong with the input is found before the first packet.
    static func open(manifest path: String, _ options: DirectoryOptions) throws -> Session {
        try open(ManifestLoader.load(path: path), path: path, options)
    }

    /// The same for a manifest already loaded (e.g. the one a saved plan embeds), as if read from `path`.
    /// - Parameter writable: apply: only a writable DC is used.
    static func open(_ manifest: Manifest, path: String, _ options: DirectoryOptions, writable: Bool = false) throws
        -> Session
    {
        let logger = makeLogger(verbose: options.verbose)
        let resolved = try ConnectionSettings.resolveDirectory(
            manifest: manifest, path: path,
            flags: .init(
                uri: options.uri, baseDN: options.baseDN, keytab: options.keytab,
                principal: options.principal),
            environment: ProcessInfo.processInfo.environment)
        disableCoreDumps()
        // A connection the DC drops must surface as an LDAP error, not kill kcdctl on the next write.
        signal(SIGPIPE, SIG_IGN)
        // A file size limit reached while appending the audit trail must be an error (EFBIG) that stops apply.
        signal(SIGXFSZ, SIG_IGN)
        let binding = try bind(resolved.directory, manifestPath: path, timeout: options.timeout, logger: logger)
        let dc = try DomainControllers.open(resolved, writable: writable, logger: logger, connect: binding.connect)
        let (baseDN, domain) = try resolved.completed(defaultNamingContext: dc.rootDSE?.defaultNamingContext)
        let uri = dc.candidate.uri
        var discovered = false
        if case .discover = resolved.locator { discovered = true }
        return Session(
            manifestPath: path, manifest: manifest, uri: uri, baseDN: baseDN, domain: domain,
            // A reconnect (after a lost answer, to read back what was written) goes to this same DC.
            directory: ActiveDirectory(connection: dc.connection, baseDN: baseDN, reopen: { try binding.connect(uri) }),
            logger: logger, bindIdentity: binding.identity, credentialSource: binding.credentialSource,
            domainController: dc.candidate, tried: dc.tried, discovered: discovered, connect: binding.connect,
            settings: resolved.directory)
    }

    /// How to connect to a DC's URI and bind, kept for failover and for a reconnect after a lost answer (the
    /// secret stays in the closure, zeroed when the session ends), and as whom.
    static func bind(_ settings: DirectorySettings, manifestPath path: String, timeout: Double, logger: Logger) throws
        -> (connect: (String) throws -> LDAPConnection, identity: String, credentialSource: String?)
    {
        let auth = settings.auth
        let tls = LDAPConnection.TLS(
            caFile: settings.tls.caFile, verify: !settings.tls.insecureSkipVerify,
            startTLS: settings.usesStartTLS)
        switch auth.method {
        case .simple:
            let bindDN = auth.bindDN ?? ""
            let password = try bindPassword(auth, manifestPath: path)
            if settings.tls.insecureSkipVerify { warnInsecure(path) }
            let connect = { (uri: String) in
                let connection = try LDAPConnection(uri: uri, tls: tls, timeout: timeout, logger: logger)
                try connection.bindSimple(dn: bindDN, password: password)
                return connection
            }
            return (connect, bindDN, nil)
        case .gssapi:
            let credentials =
                if let keytab = auth.keytab, let principal = auth.principal {
                    try KerberosCredentials(keytab: keytab, principal: principal)
                } else {
                    try KerberosCredentials(defaultCacheExpecting: auth.principal)
                }
            let connect = { (uri: String) in
                let connection = try LDAPConnection(uri: uri, tls: tls, timeout: timeout, logger: logger)
                try withExtendedLifetime(credentials) {
                    try connection.bindGSSAPI(
                        credentials: auth.keytab == nil ? nil : credentials,
                        minimumSSF: auth.minimumSSF)
                }
                return connection
            }
            return (connect, credentials.principal, credentials.source)
        }
    }

    static func bindPassword(_ auth: AuthSettings, manifestPath: String) throws -> Secret {
        if let file = auth.passwordFile {
            return try Secret(contentsOfFile: file)
        }
        if let secret = Secret.takeEnvironment("KCDCTL_BIND_PASSWORD") {
            return secret
        }
        throw UsageError(
            "no bind password for \(auth.bindDN ?? "the bind DN"): set directory.auth.passwordFile in \(manifestPath) or the KCDCTL_BIND_PASSWORD environment variable"
        )
    }

    static func warnInsecure(_ path: String) {
        Terminal.warn(
            "directory.tls.insecureSkipVerify is set in \(path): the server's certificate is NOT verified, so anyone on the network path can read and change what kcdctl sends"
        )
    }

    /// A crash while a secret is in memory must not write it to a core file.
    static func disableCoreDumps() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
    }

    /// With --verbose, what was sent, in numbers.
    func logCounters() {
        let c = connection.counters
        logger.debug(
            "LDAP requests",
            metadata: [
                "searches": "\(c.searchRequests)", "computerSearches": "\(directory.computerSearches)",
                "modifies": "\(c.modifyRequests)",
            ])
    }

    /// Text plans start with what they were computed against.
    var header: String {
        let hosts = manifest.hosts.count
        let clusters = manifest.clusters.count
        return
            "Directory \(uri) (\(baseDN)); manifest \(manifestPath): \(hosts) host\(hosts == 1 ? "" : "s") in \(clusters) cluster\(clusters == 1 ? "" : "s").\n\n"
    }
}

func makeLogger(verbose: Bool) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = verbose ? .debug : .warning
        return handler
    }
    return Logger(label: "kcdctl")
}
