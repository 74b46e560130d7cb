import Foundation

/// A domain controller of the domain as the configuration partition lists it: its DNS name and site.
public struct ReplicaDomainController: Sendable, Equatable {
    public var host: String
    /// The site its server object is in, or nil when the DN does not say.
    public var site: String?

    public init(host: String, site: String?) {
        (self.host, self.site) = (host, site)
    }
}

/// What one DC showed while `apply --wait-replication` waited.
public enum ReplicaState: Sendable, Equatable {
    /// The DC written: the apply's re-read there converged.
    case written
    /// Every changed host read there holds the applied state, this many seconds after the wait began.
    case converged(after: Double)
    /// The wait ended with these hosts not (yet) applied there.
    case lagging(after: Double, hosts: [String])
    /// It could not be reached, bound or read; why.
    case unreachable(String)
}

/// The decisions of `apply --wait-replication`: which DCs the configuration partition names (every value is
/// the directory's, so hostile), whether a DC shows the change, and the exit status.
public enum ReplicationWait {
    /// The most DCs waited for: a larger answer is cut (and said so by the caller).
    public static let maximumDomainControllers = 64
    /// The longest site name shown.
    public static let maximumSiteLength = 64

    /// The RDNs of `dn`, split at commas not escaped by a backslash; nil when it is not a DN.
    static func rdns(_ dn: String) -> [Substring]? {
        guard !dn.isEmpty, dn.utf8.count <= RootDSE.maximumDNLength, !Printable.hasControlCharacter(dn) else {
            return nil
        }
        var parts: [Substring] = []
        var start = dn.startIndex
        var escaped = false
        var index = dn.startIndex
        while index < dn.endIndex {
            let c = dn[index]
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "," {
                parts.append(dn[start..<index])
                start = dn.index(after: index)
            }
            index = dn.index(after: index)
        }
        parts.append(dn[start..<dn.endIndex])
        guard parts.allSatisfy({ $0.contains("=") }) else { return nil }
        return parts.map { $0.drop { $0 == " " } }
    }

    /// The server object of an nTDSDSA object: its parent (`CN=NTDS Settings,CN=DC1,CN=Servers,…` → `CN=DC1,…`).
    public static func serverDN(ofDSA dn: String) -> String? {
        guard let parts = rdns(dn), parts.count > 1, parts[0].lowercased().hasPrefix("cn=") else { return nil }
        return parts.dropFirst().joined(separator: ",")
    }

    /// The site of a server object: the RDN two levels above it (`CN=DC1,CN=Servers,CN=Branch,CN=Sites,…`), or
    /// nil when the DN is not shaped so or the name is not plain printable text.
    public static func site(ofServer dn: String) -> String? {
        guard let parts = rdns(dn), parts.count > 4, parts[1].lowercased() == "cn=servers",
            parts[3].lowercased() == "cn=sites", parts[2].lowercased().hasPrefix("cn=")
        else { return nil }
        let name = String(parts[2].dropFirst(3))
        guard !name.isEmpty, name.utf8.count <= maximumSiteLength, !name.contains("\\"),
            name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F })
        else { return nil }
        return name
    }

    /// The DCs to wait for from the server objects read (their DN and `dNSHostName` values): each named by one
    /// valid DNS host name, once (case-insensitively), at most `maximumDomainControllers`; the DC written
    /// (its server object `writtenServer`, from its rootDSE, or its host name `writtenHost`) apart. Refused
    /// values are returned quoted, for a warning.
    public static func domainControllers(
        _ servers: [(dn: String, dnsHostName: [String])], writtenHost: String, writtenServer: String?
    ) -> (written: ReplicaDomainController?, others: [ReplicaDomainController], rejected: [String]) {
        var seen: Set<String> = []
        var written: ReplicaDomainController?
        var others: [ReplicaDomainController] = []
        var rejected: [String] = []
        for server in servers {
            let host = server.dnsHostName.count == 1 ? server.dnsHostName[0] : nil
            let valid = host.map { DomainControllerDiscovery.hostProblem($0) == nil } ?? false
            let isWritten =
                server.dn.lowercased() == writtenServer?.lowercased()
                || (valid && host?.lowercased() == writtenHost.lowercased())
            if isWritten, written == nil {
                written = ReplicaDomainController(host: valid ? host! : writtenHost, site: site(ofServer: server.dn))
                if valid { seen.insert(host!.lowercased()) }
                continue
            }
            guard valid, let host else {
                rejected.append(
                    "\(Printable.quoted(server.dn)): dNSHostName \(server.dnsHostName.map { Printable.quoted($0) })")
                continue
            }
            guard host.lowercased() != writtenHost.lowercased(), seen.insert(host.lowercased()).inserted,
                others.count < maximumDomainControllers
            else { continue }
            others.append(ReplicaDomainController(host: host, site: site(ofServer: server.dn)))
        }
        return (written, others, rejected)
    }

    /// The hosts of `changes` that `observed` (one DC's read) does not show applied: a host absent there is not.
    public static func pending(_ changes: [HostChange], observed: [ObservedComputer]) -> [String] {
        let byName = Dictionary(observed.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        return changes.filter { change in
            guard let now = byName[change.host.lowercased()] else { return true }
            return !change.isApplied(in: now)
        }.map(\.host)
    }

    /// One poll's verdict for a DC: converged when nothing is pending; lagging once the wait is over; nil to
    /// poll again.
    public static func verdict(pending: [String], elapsed: Double, limit: Double) -> ReplicaState? {
        if pending.isEmpty { return .converged(after: elapsed) }
        return elapsed >= limit ? .lagging(after: elapsed, hosts: pending) : nil
    }

    /// The exit status after the wait: `replicationLagging` when a reachable DC did not show the change; an
    /// unreachable DC is named but does not fail the run (it cannot serve tickets either way: nothing to wait
    /// for that kcdctl could see).
    public static func status(_ results: [(ReplicaDomainController, ReplicaState)]) -> ExitStatus {
        results.contains { if case .lagging = $0.1 { true } else { false } } ? .replicationLagging : .success
    }
}
