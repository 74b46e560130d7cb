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
    static func open(_ manifest: Manifest, path: String, _ options: DirectoryOptions) throws -> Session {
        let logger = makeLogger(verbose: options.verbose)
        let resolved = try ConnectionSettings.resolve(
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
        let binding = try bind(resolved, manifestPath: path, timeout: options.timeout, logger: logger)
        return Session(
            manifestPath: path, manifest: manifest, uri: resolved.uri, baseDN: resolved.baseDN, domain: resolved.domain,
            directory: ActiveDirectory(
                connection: try binding.connect(), baseDN: resolved.baseDN,
                reopen: binding.connect),
            logger: logger, bindIdentity: binding.identity, credentialSource: binding.credentialSource)
    }

    /// How to connect and bind, kept for a reconnect after a lost answer (the secret stays in the closure,
    /// zeroed when the session ends), and as whom.
    static func bind(_ resolved: ConnectionSettings, manifestPath path: String, timeout: Double, logger: Logger) throws
        -> (connect: () throws -> LDAPConnection, identity: String, credentialSource: String?)
    {
        let (uri, settings, auth) = (resolved.uri, resolved.directory, resolved.directory.auth)
        let tls = LDAPConnection.TLS(
            caFile: settings.tls.caFile, verify: !settings.tls.insecureSkipVerify,
            startTLS: settings.usesStartTLS)
        switch auth.method {
        case .simple:
            let bindDN = auth.bindDN ?? ""
            let password = try bindPassword(auth, manifestPath: path)
            if settings.tls.insecureSkipVerify { warnInsecure(path) }
            let connect = {
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
            let connect = {
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
