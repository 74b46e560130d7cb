/// The desired state as a reviewed YAML manifest declares it (version 1). See docs/manifest.md.
public struct Manifest: Sendable {
    public static let version = 1
    public static let defaultServices = ["Microsoft Virtual System Migration Service", "cifs"]
    /// `limits.hostsPerCluster` unless set: far above a failover cluster's 64 nodes, far below what would make
    /// a plan unreviewable or exhaust memory (a cluster of N hosts is N × (N-1) × 4 values).
    public static let defaultHostsPerCluster = 1_000
    public static let hostsPerClusterCeiling = 10_000
    /// Larger manifest files are refused before they are parsed.
    public static let maximumFileSize = 4 << 20

    public var directory: DirectorySettings
    public var clusters: [Cluster]
    /// Where `apply` appends its audit trail (JSON Lines), if anywhere.
    public var auditFile: String?
    /// `plans.verifyKey`: an Ed25519 public key (PEM); when set, `apply` takes only saved plans signed by it.
    public var planVerifyKey: String?
    /// SHA-256 of the manifest file's bytes, when it was read from a file.
    public var sha256: String?
    /// The manifest's text, when it was read from a file: what a saved plan embeds.
    public var source: String?

    public init(directory: DirectorySettings, clusters: [Cluster], auditFile: String? = nil) {
        self.directory = directory
        self.clusters = clusters
        self.auditFile = auditFile
    }

    /// Every managed host once (first spelling wins), in manifest order.
    public var hosts: [String] {
        uniqueNames(clusters.flatMap(\.hosts))
    }

    /// Every account kcdctl reads: the managed hosts and the storage servers they delegate to.
    public var accountNames: [String] {
        uniqueNames(clusters.flatMap { $0.hosts + $0.smbStorage })
    }
}

public struct Cluster: Sendable {
    public var name: String
    public var mode: DelegationMode
    public var services: [String]
    public var nameForms: [NameForm]
    public var hosts: [String]
    public var smbStorage: [String]
    public var extraTargets: [SPN]
    public var prune: Prune
    /// Where the cluster starts in the manifest, for messages.
    public var location: SourceLocation

    public init(
        name: String, mode: DelegationMode, services: [String] = Manifest.defaultServices,
        nameForms: [NameForm] = NameForm.allCases, hosts: [String], smbStorage: [String] = [],
        extraTargets: [SPN] = [], prune: Prune = .managed, location: SourceLocation = .init(line: 0, column: 0)
    ) {
        self.name = name
        self.mode = mode
        self.services = services
        self.nameForms = nameForms
        self.hosts = hosts
        self.smbStorage = smbStorage
        self.extraTargets = extraTargets
        self.prune = prune
        self.location = location
    }

    /// Service classes whose values `prune: managed` may remove: the cluster's services, and `cifs`
    /// when the cluster delegates to SMB storage.
    public var managedServiceClasses: Set<String> {
        guard prune == .managed else { return [] }
        var classes = Set(services.map { $0.lowercased() })
        if !smbStorage.isEmpty { classes.insert("cifs") }
        return classes
    }
}

public enum NameForm: String, CaseIterable, Sendable {
    /// `service/HV02` (the NetBIOS name)
    case short
    /// `service/hv02.corp.example.com`
    case fqdn
}

public enum Prune: String, CaseIterable, Sendable {
    /// Remove values of the cluster's own service classes that the manifest does not declare.
    case managed
    /// Only ever add.
    case none
}

public struct DirectorySettings: Sendable, Equatable {
    public var uri: String?
    public var baseDN: String?
    public var domain: String?
    /// The AD site whose DCs discovery tries first (`_ldap._tcp.<site>._sites.dc._msdcs.<domain>`).
    public var site: String?
    public var tls: TLSSettings
    public var auth: AuthSettings

    /// The most values a computer object may hold across `msDS-AllowedToDelegateTo` and `servicePrincipalName`
    /// (`directory.valueLimit`): the plan refuses a change that would exceed it (`ValueBudget`).
    public var valueLimit = Self.defaultValueLimit
    /// Active Directory's practical limit of non-linked multi-valued values per object (8 KB database pages).
    public static let defaultValueLimit = 1200
    /// The highest `directory.valueLimit` accepted.
    public static let valueLimitCeiling = 1_000_000

    public init(
        uri: String? = nil, baseDN: String? = nil, domain: String? = nil, site: String? = nil,
        tls: TLSSettings = .init(), auth: AuthSettings
    ) {
        self.uri = uri
        self.baseDN = baseDN
        self.domain = domain
        self.site = site
        self.tls = tls
        self.auth = auth
    }

    /// `DC=corp,DC=example,DC=com` → `corp.example.com`; nil when the DN has no DC components.
    public static func domain(fromBaseDN dn: String) -> String? {
        let labels = dn.split(separator: ",").compactMap { rdn -> String? in
            let parts = rdn.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingWhitespace().lowercased() == "dc" else { return nil }
            return parts[1].trimmingWhitespace()
        }
        return labels.isEmpty ? nil : labels.joined(separator: ".")
    }

    /// Whether `uri` names an LDAP server at all: `ldaps://` or `ldap://`, as written (the manifest's check and
    /// that of `--uri` and KCDCTL_URI).
    public static func hasLDAPScheme(_ uri: String) -> Bool {
        uri.hasPrefix("ldaps://") || uri.hasPrefix("ldap://")
    }
}

public struct TLSSettings: Sendable, Equatable {
    public var caFile: String?
    public var insecureSkipVerify: Bool
    /// For `ldap://` URIs: upgrade with StartTLS. Unset: yes for simple binds, no for GSSAPI (which seals
    /// the connection itself and which AD refuses inside TLS).
    public var startTLS: Bool?

    public init(caFile: String? = nil, insecureSkipVerify: Bool = false, startTLS: Bool? = nil) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.startTLS = startTLS
    }
}

public struct AuthSettings: Sendable, Equatable {
    public enum Method: String, CaseIterable, Sendable {
        /// A password bind, over TLS only.
        case simple
        /// SASL GSSAPI (Kerberos), sealed, over plain `ldap://`.
        case gssapi
    }

    public static let defaultMinimumSSF = 56

    public var method: Method
    /// simple: the account, as a DN or `user@domain`.
    public var bindDN: String?
    /// simple: where the bind password is; without it, the KCDCTL_BIND_PASSWORD environment variable.
    public var passwordFile: String?
    /// gssapi: a keytab to obtain credentials from in-process; without it, the caller's credential cache.
    public var keytab: String?
    /// gssapi: the client principal, e.g. `svc-kcd@CORP.EXAMPLE.COM`.
    public var principal: String?
    /// gssapi: the least SASL security strength factor accepted (56 by default; 0 would allow no protection).
    public var minimumSSF: Int

    public init(
        method: Method = .simple, bindDN: String? = nil, passwordFile: String? = nil,
        keytab: String? = nil, principal: String? = nil, minimumSSF: Int = AuthSettings.defaultMinimumSSF
    ) {
        self.method = method
        self.bindDN = bindDN
        self.passwordFile = passwordFile
        self.keytab = keytab
        self.principal = principal
        self.minimumSSF = minimumSSF
    }

    /// A GSSAPI keytab without the principal to take from it: libkrb5 would pick the keytab's first entry,
    /// whichever account that is.
    public var keytabLacksPrincipal: Bool { method == .gssapi && keytab != nil && principal == nil }
}

extension DirectorySettings {
    /// Whether `ldap://` is upgraded with StartTLS: as written, else yes for simple binds only.
    public var usesStartTLS: Bool { tls.startTLS ?? (auth.method == .simple) }

    /// Why this URI cannot carry this bind method, or nil. GSSAPI runs sealed over plain `ldap://`
    /// (AD and Samba refuse GSSAPI signing or sealing inside TLS); a simple bind needs TLS.
    public func transportProblem(uri: String) -> String? {
        let ldaps = uri.lowercased().hasPrefix("ldaps://")
        switch auth.method {
        case .gssapi where ldaps:
            return
                "auth.method gssapi cannot run over \(uri): AD refuses GSSAPI signing and sealing inside TLS; use ldap:// (GSSAPI seals the connection itself)"
        case .gssapi where tls.startTLS == true:
            return
                "auth.method gssapi does not combine with tls.startTLS: true: AD refuses GSSAPI signing and sealing inside TLS; remove startTLS (GSSAPI seals the connection itself)"
        case .simple where !ldaps && !usesStartTLS:
            return
                "a simple bind would send the password in clear over \(uri) with tls.startTLS: false; use ldaps://, StartTLS or auth.method gssapi"
        default:
            return nil
        }
    }
}

public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// Names compared as AD compares sAMAccountNames (`ComputerName`). First spelling wins.
extension Manifest {
    /// The manifest with its resource-based clusters read as `any-protocol`: each host's targets are then the SPNs
    /// of its peers, which a resource-based host reaches too (verify asks the KDC for them; doctor checks that
    /// they are registered).
    public var asClassic: Manifest {
        var classic = self
        for i in classic.clusters.indices where classic.clusters[i].mode.isResourceBased {
            classic.clusters[i].mode = .anyProtocol
        }
        return classic
    }
}

func uniqueNames(_ names: [String]) -> [String] {
    var seen = Set<ComputerName>()
    return names.filter { seen.insert(ComputerName($0)).inserted }
}

extension Manifest {
    /// A file the manifest names, by its key; `secret` files must be readable by their owner only.
    public struct NamedFile: Sendable, Equatable {
        public var key: String
        public var path: String
        public var secret: Bool
    }

    /// The files kcdctl opens for this manifest (what `validate` checks): CA file, password file, keytab and
    /// plans.verifyKey, those set.
    public var namedFiles: [NamedFile] {
        let auth = directory.auth
        let files: [(String, String?, Bool)] = [
            ("directory.tls.caFile", directory.tls.caFile, false),
            ("directory.auth.passwordFile", auth.passwordFile, true),
            ("directory.auth.keytab", auth.keytab, true),
            ("plans.verifyKey", planVerifyKey, false),
        ]
        return files.compactMap { key, path, secret in path.map { NamedFile(key: key, path: $0, secret: secret) } }
    }

    /// Every `--target` must be a host of the manifest (compared as AD compares names).
    public func checkTargets(_ targets: [String]?) throws {
        let known = Set(hosts.map(ComputerName.init))
        let unknown = (targets ?? []).filter { !known.contains(ComputerName($0)) }
        guard unknown.isEmpty else {
            throw UsageError("--target \(unknown.joined(separator: ", ")): not a host of the manifest")
        }
    }
}
