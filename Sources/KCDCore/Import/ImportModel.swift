/// One delegation import understood: a value of a host's `msDS-AllowedToDelegateTo` to another Hyper-V host's
/// migration or cifs service, or to an SMB storage server's cifs service; or a grant of kcdctl's form in a
/// host's `msDS-AllowedToActOnBehalfOfOtherIdentity` to another Hyper-V host's objectSid.
public struct ImportEdge: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// To another Hyper-V host: what makes two hosts one cluster.
        case peer
        /// To the cifs service of a computer that is not a Hyper-V host.
        case storage
        /// Resource-based: `to`'s descriptor allows `from` (by objectSid) to delegate to it. Also makes two hosts
        /// one cluster.
        case resourceBased = "resource-based"
    }
    public var from: String
    public var to: String
    public var kind: Kind
    /// `Microsoft Virtual System Migration Service` or `cifs`; nil for a resource-based edge (it allows every
    /// service of `to`).
    public var service: String?
    /// nil for a resource-based edge.
    public var form: NameForm?
    /// As stored; for a resource-based edge, the SID granted (`from`'s objectSid).
    public var value: String
}

extension NameForm: Codable {}

/// Something the admin must know about the estate: a security risk, an inconsistency the first plan will fix,
/// or a value import could not use. Subjects and messages hold directory text only escaped (`Printable`).
public struct ImportFinding: Sendable, Equatable, Codable, Comparable {
    public enum Severity: String, Sendable, Codable, CaseIterable {
        /// A path to more than live migration needs: unconstrained delegation, delegation to a domain controller.
        case security
        /// An inconsistency, or directory data that cannot be written into a manifest.
        case warning
        /// Worth knowing; nothing wrong.
        case note

        var rank: Int { Self.allCases.firstIndex(of: self)! }
    }
    public var severity: Severity
    public var subject: String
    public var message: String

    public init(_ severity: Severity, _ subject: String, _ message: String) {
        self.severity = severity
        self.subject = subject
        self.message = message
    }

    public static func < (a: ImportFinding, b: ImportFinding) -> Bool {
        (a.severity.rank, ComputerName(a.subject), a.message) < (b.severity.rank, ComputerName(b.subject), b.message)
    }
}

/// A Hyper-V host as import saw it: a node of the graph.
public struct ImportedHost: Sendable, Equatable, Codable {
    public var name: String
    public var dn: String
    public var dnsHostName: String?
    /// The delegation mode its `userAccountControl` says (kerberos-only when 0x1000000 is clear).
    public var mode: DelegationMode
    /// TRUSTED_FOR_DELEGATION (0x80000) is set.
    public var unconstrained: Bool
    public var userAccountControl: [String]
    /// How many values its msDS-AllowedToDelegateTo holds.
    public var values: Int
    /// The inferred cluster, or nil for a host without any delegation.
    public var cluster: String?
    /// Its objectSid, when the directory gave a well-formed one (what resource-based grants name).
    public var objectSid: SecurityIdentifier? = nil
}

extension DelegationMode: Codable {}

/// A cluster as import inferred it, with the reasons a reviewer reads as comments in the written YAML.
public struct ImportedCluster: Sendable {
    public var cluster: Cluster
    /// Lines before the cluster: why these hosts, this mode, these services and name forms.
    public var notes: [String]
    /// Per host (by `ComputerName` key): what the first plan changes on it, and why.
    public var hostNotes: [String: String] = [:]
    /// Per storage server (by key): e.g. that it is a domain controller.
    public var storageNotes: [String: String] = [:]
    /// Per extra target (by SPN key).
    public var extraTargetNotes: [String: String] = [:]
}

/// Everything `kcdctl import` concluded from one read of the directory.
public struct ImportResult: Sendable {
    /// The manifest to write: the input's directory settings and the inferred clusters.
    public var manifest: Manifest
    /// The inferred clusters with their explanations, in manifest order.
    public var clusters: [ImportedCluster]
    /// Hyper-V hosts without any delegation: import cannot tell where they belong.
    public var unplaced: [ImportedHost]
    public var hosts: [ImportedHost]
    public var edges: [ImportEdge]
    /// Sorted: security first.
    public var findings: [ImportFinding]
    /// What `kcdctl plan` against the written manifest will show: `Reconciler.plan` itself, on the same read.
    public var firstPlan: Plan
    /// The first plan in sentences, e.g. "3 hosts lack delegation to HV07: the first plan will add 6 values".
    public var summary: [String]
    /// The most hosts in one cluster, when that is more than `limits.hostsPerCluster` allows by default.
    public var hostsPerClusterLimit: Int?
}

/// An inferred cluster too large to expand: a hostile or broken directory (one host delegating to thousands of
/// others makes them one cluster) must not make import plan N² values. Checked before the first plan.
public struct ImportTooLarge: Error, Equatable, CustomStringConvertible {
    public var cluster: String
    public var hosts: Int
    public var values: Int

    /// The most values the inferred manifest may declare in all (the sum over clusters of hosts × peers ×
    /// services × name forms): a cluster of 1,000 hosts, the default `limits.hostsPerCluster`, with both
    /// services and both name forms is 4 million.
    public static let maximumValues = 4_000_000

    static func check(_ manifest: Manifest) throws {
        var total = 0
        for c in manifest.clusters {
            let n = c.hosts.count
            // A resource-based host holds one grant per other host.
            let perHost =
                c.mode.isResourceBased
                ? n - 1 : (n - 1) * c.services.count * c.nameForms.count + 2 * c.smbStorage.count + c.extraTargets.count
            let (values, overflow) = n.multipliedReportingOverflow(by: perHost)
            total = overflow ? Int.max : total.addingReportingOverflow(values).partialValue
            if n > Manifest.hostsPerClusterCeiling || overflow || total > maximumValues {
                throw ImportTooLarge(cluster: c.name, hosts: n, values: overflow ? Int.max : values)
            }
        }
    }

    public var description: String {
        "the inferred cluster \(cluster) has \(hosts) hosts (\(values) values to declare): more than a manifest may hold (\(Manifest.hostsPerClusterCeiling) hosts per cluster, \(Self.maximumValues) values in all); nothing was written. Start from fewer hosts with --hosts or --search-base"
    }
}
