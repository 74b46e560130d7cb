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

    var reconciliation: Reconciliation {
        Reconciliation(manifest: manifest, domain: domain, directory: directory)
    }

    /// Loads and checks the manifest, takes the password, connects and binds. Everything that can be
    /// wrong with the input is found before the first packet.
    static func open(manifest path: String, _ options: DirectoryOptions) throws -> Session {
        let logger = makeLogger(verbose: options.verbose)
        let manifest = try ManifestLoader.load(path: path)
        let env = ProcessInfo.processInfo.environment
        let settings = manifest.directory

        guard let uri = options.uri ?? env["KCDCTL_URI"] ?? settings.uri else {
            throw UsageError("no directory URI: set directory.uri in \(path), --uri or KCDCTL_URI")
        }
        guard uri.hasPrefix("ldaps://") || uri.hasPrefix("ldap://") else {
            throw UsageError("directory URI '\(uri)' must start with ldaps:// or ldap://")
        }
        guard let baseDN = options.baseDN ?? env["KCDCTL_BASE_DN"] ?? settings.baseDN else {
            throw UsageError("no base DN: set directory.baseDN in \(path), --base-dn or KCDCTL_BASE_DN")
        }
        guard let domain = settings.domain ?? DirectorySettings.domain(fromBaseDN: baseDN) else {
            throw UsageError("cannot derive the DNS domain from base DN '\(baseDN)': set directory.domain in \(path)")
        }
        let password = try bindPassword(settings.auth, manifestPath: path)

        if settings.tls.insecureSkipVerify {
            Terminal.warn("directory.tls.insecureSkipVerify is set in \(path): the server's certificate is NOT verified, so anyone on the network path can read and change what kcdctl sends")
        }
        let connection = try LDAPConnection(
            uri: uri,
            tls: .init(caFile: settings.tls.caFile, verify: !settings.tls.insecureSkipVerify, startTLS: settings.tls.startTLS),
            timeout: options.timeout, logger: logger)
        try connection.bindSimple(dn: settings.auth.bindDN, password: password)
        return Session(manifestPath: path, manifest: manifest, uri: uri, baseDN: baseDN, domain: domain,
                       directory: ActiveDirectory(connection: connection, baseDN: baseDN), logger: logger)
    }

    static func bindPassword(_ auth: AuthSettings, manifestPath: String) throws -> Secret {
        if let file = auth.passwordFile {
            return try Secret(contentsOfFile: file)
        }
        if let value = getenv("KCDCTL_BIND_PASSWORD") {
            let secret = Secret(bytes: Array(UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: strlen(value))))
            unsetenv("KCDCTL_BIND_PASSWORD")
            return secret
        }
        throw UsageError("no bind password for \(auth.bindDN): set directory.auth.passwordFile in \(manifestPath) or the KCDCTL_BIND_PASSWORD environment variable")
    }

    /// With --verbose, what was sent, in numbers.
    func logCounters() {
        let c = directory.connection.counters
        logger.debug("LDAP requests", metadata: [
            "searches": "\(c.searchRequests)", "computerSearches": "\(directory.computerSearches)",
            "modifies": "\(c.modifyRequests)",
        ])
    }

    /// Text plans start with what they were computed against.
    var header: String {
        let hosts = manifest.hosts.count
        let clusters = manifest.clusters.count
        return "Directory \(uri) (\(baseDN)); manifest \(manifestPath): \(hosts) host\(hosts == 1 ? "" : "s") in \(clusters) cluster\(clusters == 1 ? "" : "s").\n\n"
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
