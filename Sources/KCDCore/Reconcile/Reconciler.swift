/// Diffs the desired state against the observed one. Pure: the same inputs give the same plan.
public enum Reconciler {
    /// - Parameter targets: limit the plan to these hosts (lowercased names); nil for all.
    /// - Throws: `MissingHostsError` when any managed host has no computer object: no plan is partial.
    public static func plan(
        _ manifest: Manifest, domain: String, observed: [ObservedComputer], spnMappings: SPNMappings,
        targets: Set<String>? = nil
    ) throws -> Plan {
        var byName: [String: ObservedComputer] = [:]
        for computer in observed { byName[computer.name.lowercased()] = computer }

        var desired = DesiredState.expand(manifest, domain: domain) { byName[$0.lowercased()]?.dnsHostName }
        if let targets { desired.hosts.removeAll { !targets.contains($0.name.lowercased()) } }

        let missing = desired.hosts.filter { byName[$0.name.lowercased()] == nil }
        guard missing.isEmpty else {
            throw MissingHostsError(hosts: missing.map { .init(name: $0.name, clusters: $0.clusters) })
        }

        var changes: [HostChange] = []
        var unchanged: [String] = []
        for host in desired.hosts {
            let current = byName[host.name.lowercased()]!
            if let change = diff(host, current) {
                changes.append(change)
            } else {
                unchanged.append(host.name)
            }
        }
        let warnings = registrationWarnings(desired, byName, spnMappings)
        return Plan(
            changes: changes.sorted { $0.host.lowercased() < $1.host.lowercased() },
            unchanged: unchanged.sorted { $0.lowercased() < $1.lowercased() },
            warnings: warnings)
    }

    static func diff(_ desired: DesiredState.Host, _ current: ObservedComputer) -> HostChange? {
        let present = Set(current.allowedToDelegateTo.map(SPN.init))
        let wanted = Set(desired.targets)
        let add = desired.targets.filter { !present.contains($0) }
        // Remove each undeclared value of a managed service class once, by its stored spelling.
        var seen = Set<SPN>()
        let remove = current.allowedToDelegateTo.map(SPN.init).filter { value in
            desired.managedServiceClasses.contains(value.serviceClass.lowercased())
                && !wanted.contains(value) && seen.insert(value).inserted
        }.sorted()
        let uac = desired.mode.userAccountControl(from: current.userAccountControl)
        let uacChange = uac == current.userAccountControl
            ? nil : UserAccountControlChange(from: current.userAccountControl, to: uac)
        if add.isEmpty && remove.isEmpty && uacChange == nil { return nil }
        return HostChange(host: desired.name, dn: current.dn, mode: desired.mode, clusters: desired.clusters,
                          add: add, remove: remove, userAccountControl: uacChange, observed: current)
    }

    /// A target SPN that its account does not register can never be delegated to.
    static func registrationWarnings(
        _ desired: DesiredState, _ byName: [String: ObservedComputer], _ mappings: SPNMappings
    ) -> [PlanWarning] {
        let targets = Set(desired.hosts.flatMap(\.targets))
        var warnings: [PlanWarning] = []
        var missingAccounts = Set<String>()
        for spn in targets.sorted() {
            guard let owner = desired.targetOwners[spn] else { continue }
            guard let account = byName[owner.lowercased()] else {
                if missingAccounts.insert(owner.lowercased()).inserted {
                    warnings.append(PlanWarning(subject: owner, message:
                        "storage server \(owner) has no computer object: delegation to its cifs SPNs cannot work"))
                }
                continue
            }
            let registered = Set(account.servicePrincipalNames.map(SPN.init))
            if !mappings.isSatisfied(spn, by: registered) {
                warnings.append(PlanWarning(subject: spn.value, message:
                    "not registered on \(account.name) (nor through sPNMappings): delegation to it cannot work until the SPN is registered"))
            }
        }
        return warnings
    }
}

/// Managed hosts without a computer object. Nothing is planned or written while any is missing.
public struct MissingHostsError: Error, Equatable, CustomStringConvertible {
    public struct Host: Equatable, Sendable {
        public var name: String
        public var clusters: [String]
    }
    public var hosts: [Host]

    public var description: String {
        let list = hosts.map { "\($0.name) (cluster \($0.clusters.joined(separator: ", ")))" }.joined(separator: ", ")
        return "\(hosts.count) host\(hosts.count == 1 ? "" : "s") of the manifest \(hosts.count == 1 ? "has" : "have") no computer object in the directory: \(list); nothing was changed"
    }
}
