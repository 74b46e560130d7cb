/// What each managed host's delegation must be, expanded from the manifest.
public struct DesiredState: Sendable, Equatable {
    public struct Host: Sendable, Equatable {
        public var name: String
        public var mode: DelegationMode
        /// Sorted; unique as AD compares SPNs (case-insensitively).
        public var targets: [SPN]
        /// Service classes (lowercased) whose undeclared values are removed.
        public var managedServiceClasses: Set<String>
        public var clusters: [String]
    }

    /// In manifest order.
    public var hosts: [Host]
    /// The account (computer name) that must hold each host- or storage-derived target SPN;
    /// `extraTargets` have no known owner and are absent here.
    public var targetOwners: [SPN: String]

    /// Expands every cluster: each host delegates to every other host of its clusters (each service, each
    /// name form), to the cifs SPNs of the cluster's SMB storage (both forms) and to its extra targets; a host
    /// in several clusters gets the union. A host never delegates to itself.
    ///
    /// - Parameters:
    ///   - domain: the DNS suffix for FQDN forms of accounts that have no `dNSHostName`.
    ///   - dnsHostName: the `dNSHostName` a computer has in the directory, if any.
    public static func expand(
        _ manifest: Manifest, domain: String, dnsHostName: (String) -> String? = { _ in nil }
    ) -> DesiredState {
        var hosts: [Host] = []
        var index: [String: Int] = [:]
        var owners: [SPN: String] = [:]

        func names(of account: String, forms: [NameForm]) -> [String] {
            forms.map { form in
                switch form {
                case .short: account
                case .fqdn: dnsHostName(account) ?? "\(account).\(domain)"
                }
            }
        }

        for cluster in manifest.clusters {
            var clusterTargets: [(owner: String?, spn: SPN)] = []
            for peer in cluster.hosts {
                for service in cluster.services {
                    for name in names(of: peer, forms: cluster.nameForms) {
                        clusterTargets.append((peer, SPN(service: service, host: name)))
                    }
                }
            }
            for server in cluster.smbStorage {
                for name in names(of: server, forms: NameForm.allCases) {
                    clusterTargets.append((server, SPN(service: "cifs", host: name)))
                }
            }
            clusterTargets += cluster.extraTargets.map { (nil, $0) }
            for (owner, spn) in clusterTargets {
                if let owner { owners[spn] = owner }
            }

            for host in cluster.hosts {
                let targets = clusterTargets.filter { $0.owner?.lowercased() != host.lowercased() }.map(\.spn)
                if let i = index[host.lowercased()] {
                    hosts[i].targets += targets
                    hosts[i].managedServiceClasses.formUnion(cluster.managedServiceClasses)
                    hosts[i].clusters.append(cluster.name)
                } else {
                    index[host.lowercased()] = hosts.count
                    hosts.append(Host(name: host, mode: cluster.mode, targets: targets,
                                      managedServiceClasses: cluster.managedServiceClasses, clusters: [cluster.name]))
                }
            }
        }
        for i in hosts.indices {
            var seen = Set<SPN>()
            hosts[i].targets = hosts[i].targets.filter { seen.insert($0).inserted }.sorted()
        }
        return DesiredState(hosts: hosts, targetOwners: owners)
    }
}
