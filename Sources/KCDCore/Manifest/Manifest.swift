/// The desired state as a reviewed YAML manifest declares it (version 1). See docs/manifest.md.
public struct Manifest: Sendable {
    public static let version = 1
    public static let defaultServices = ["Microsoft Virtual System Migration Service", "cifs"]

    public var directory: DirectorySettings
    public var clusters: [Cluster]

    public init(directory: DirectorySettings, clusters: [Cluster]) {
        self.directory = directory
        self.clusters = clusters
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

public struct DirectorySettings: Sendable {
    public var uri: String?
    public var baseDN: String?
    public var domain: String?
    public var tls: TLSSettings
    public var auth: AuthSettings

    public init(uri: String? = nil, baseDN: String? = nil, domain: String? = nil,
                tls: TLSSettings = .init(), auth: AuthSettings) {
        self.uri = uri
        self.baseDN = baseDN
        self.domain = domain
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
}

public struct TLSSettings: Sendable {
    public var caFile: String?
    public var insecureSkipVerify: Bool
    /// For `ldap://` URIs: upgrade with StartTLS (the default).
    public var startTLS: Bool

    public init(caFile: String? = nil, insecureSkipVerify: Bool = false, startTLS: Bool = true) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.startTLS = startTLS
    }
}

public struct AuthSettings: Sendable {
    public enum Method: String, CaseIterable, Sendable {
        case simple
    }

    public var method: Method
    public var bindDN: String
    /// Where the bind password is; without it, the KCDCTL_BIND_PASSWORD environment variable.
    public var passwordFile: String?

    public init(method: Method = .simple, bindDN: String, passwordFile: String? = nil) {
        self.method = method
        self.bindDN = bindDN
        self.passwordFile = passwordFile
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

/// Names compared as AD compares sAMAccountNames: case-insensitively. First spelling wins.
func uniqueNames(_ names: [String]) -> [String] {
    var seen = Set<String>()
    return names.filter { seen.insert($0.lowercased()).inserted }
}
