/// What each managed host's delegation must be, expanded from the manifest.
public struct DesiredState: Sendable, Equatable {
    public struct Host: Sendable, Equatable {
        public var name: String
        public var mode: DelegationMode
        /// Sorted by key; unique as AD compares SPNs (case-insensitively).
        public var targets: TargetList
        /// Service classes (lowercased) whose undeclared values are removed.
        public var managedServiceClasses: Set<String>
        public var clusters: [String]
        /// Resource-based mode: the hosts this host's `msDS-AllowedToActOnBehalfOfOtherIdentity` must allow
        /// (every other host of its clusters), in manifest order.
        public var delegators: [String] = []
        /// `prune: managed`: kcdctl-form grants not among `delegators` may be removed from the host's descriptor
        /// (`ResourceBasedPlanner.mayRevoke`: a managed host's, and in resource-based mode a computer account's).
        public var prunesGrants = false
    }

    /// In manifest order.
    public var hosts: [Host]
    /// The account (computer name) that must hold each host- or storage-derived target SPN;
    /// `extraTargets` have no known owner and are absent here.
    public var targetOwners: [SPN: String]
    /// Every SPN some host delegates to.
    public var allTargets: Set<SPN>

    /// Expands every cluster: each host delegates to every other host of its clusters (each service, each
    /// name form), to the cifs SPNs of the cluster's SMB storage (both forms) and to its extra targets; a host
    /// in several clusters gets the union. A host never delegates to itself.
    ///
    /// A cluster's targets are generated, deduplicated and sorted once and shared by its hosts, each of which
    /// leaves out its own: 10,000 hosts cost little more than their clusters.
    ///
    /// - Parameters:
    ///   - domain: the DNS suffix for FQDN forms of accounts that have no `dNSHostName`.
    ///   - dnsHostName: the `dNSHostName` a computer has in the directory, if any; used only when it is the
    ///     computer's own DNS name (`ComputerName.isOwnDNSName`), else the FQDN form is `<name>.<domain>`.
    public static func expand(
        _ manifest: Manifest, domain: String, dnsHostName: (String) -> String? = { _ in nil }
    ) -> DesiredState {
        var hosts: [Host] = []
        var index: [ComputerName: Int] = [:]
        var merged: [Int: [SPN]] = [:]
        var owners: [SPN: String] = [:]
        var allTargets = Set<SPN>()

        for cluster in manifest.clusters {
            let members = cluster.hosts.map(ComputerName.init)
            func names(of account: String, forms: [NameForm]) -> [String] {
                let own = dnsHostName(account).flatMap { ComputerName(account).isOwnDNSName($0) ? $0 : nil }
                let fqdn = forms.contains(.fqdn) ? own ?? "\(account).\(domain)" : ""
                return forms.map { $0 == .short ? account : fqdn }
            }
            // (index in `members` of the account holding it, or -1; the SPN)
            var entries: [(owner: Int32, spn: SPN)] = []
            // Resource-based: no SPN targets; each host allows the others (below).
            for (i, peer) in cluster.hosts.enumerated() where !cluster.mode.isResourceBased {
                let forms = names(of: peer, forms: cluster.nameForms)
                for service in cluster.services {
                    for name in forms {
                        let spn = SPN(service: service, host: name)
                        entries.append((Int32(i), spn))
                        owners[spn] = peer
                    }
                }
            }
            for server in cluster.smbStorage {
                let member = members.firstIndex(of: ComputerName(server)).map { Int32($0) } ?? -1
                for name in names(of: server, forms: NameForm.allCases) {
                    let spn = SPN(service: "cifs", host: name)
                    entries.append((member, spn))
                    owners[spn] = server
                }
            }
            entries += cluster.extraTargets.map { (-1, $0) }
            var seen = Set<String>(minimumCapacity: entries.count)
            entries = entries.filter { seen.insert($0.spn.key).inserted }.sorted { $0.spn.key < $1.spn.key }
            for entry in entries where entry.owner < 0 || members.count > 1 { allTargets.insert(entry.spn) }
            let spns = entries.map(\.spn)
            let owner = entries.map(\.owner)
            let managed = cluster.managedServiceClasses

            for (i, host) in cluster.hosts.enumerated() {
                let targets = TargetList(entries: spns, owners: owner, excluded: Int32(i))
                let delegators =
                    cluster.mode.isResourceBased ? cluster.hosts.filter { ComputerName($0) != members[i] } : []
                if let existing = index[members[i]] {
                    merged[existing, default: Array(hosts[existing].targets)] += targets
                    hosts[existing].managedServiceClasses.formUnion(managed)
                    hosts[existing].clusters.append(cluster.name)
                    let known = Set(hosts[existing].delegators.map(ComputerName.init))
                    hosts[existing].delegators += uniqueNames(delegators.filter { !known.contains(ComputerName($0)) })
                    hosts[existing].prunesGrants = hosts[existing].prunesGrants || cluster.prune == .managed
                } else {
                    index[members[i]] = hosts.count
                    hosts.append(
                        Host(
                            name: host, mode: cluster.mode, targets: targets,
                            managedServiceClasses: managed, clusters: [cluster.name],
                            delegators: uniqueNames(delegators),
                            prunesGrants: cluster.prune == .managed))
                }
            }
        }
        for (i, targets) in merged { hosts[i].targets = TargetList(targets) }
        return DesiredState(hosts: hosts, targetOwners: owners, allTargets: allTargets)
    }
}
