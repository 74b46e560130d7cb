/// Diffs the desired state against the observed one. Pure: the same inputs give the same plan.
public enum Reconciler {
    /// - Parameter targets: limit the plan to these hosts; nil for all.
    /// - Throws: `MissingHostsError` when any managed host has no computer object: no plan is partial;
    ///   `ValueBudgetExceeded` when a host would hold more values than `directory.valueLimit`.
    /// - Parameter outsiders: computers outside the manifest that delegate to its hosts: each gets a warning,
    ///   since kcdctl no longer manages (nor removes) their own delegation.
    public static func plan(
        _ manifest: Manifest, domain: String, observed: [ObservedComputer], spnMappings: SPNMappings,
        targets: Set<ComputerName>? = nil, outsiders: [ObservedComputer] = [],
        sidOwners: [SecurityIdentifier: SIDOwner] = [:]
    ) throws -> Plan {
        let byName = observed.indexedByName()
        var desired = DesiredState.expand(manifest, domain: domain) { byName[ComputerName($0)]?.dnsHostName }
        if let targets {
            desired.hosts.removeAll { !targets.contains(ComputerName($0.name)) }
            desired.allTargets = Set(desired.hosts.flatMap(\.targets))
        }

        let current = desired.hosts.map { byName[ComputerName($0.name)] }
        let missing = zip(desired.hosts, current).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw MissingHostsError(hosts: missing.map { .init(name: $0.name, clusters: $0.clusters) })
        }

        var changes: [(name: ComputerName, change: HostChange)] = []
        var unchanged: [ComputerName] = []
        let managedSIDs = ResourceBasedPlanner.managedSIDs(manifest, byName)
        for (host, current) in zip(desired.hosts, current) {
            let rbcd = try ResourceBasedPlanner.change(
                host, current!, byName: byName, managedSIDs: managedSIDs, owners: sidOwners)
            if let change = diff(host, current!, resourceBased: rbcd) {
                changes.append((ComputerName(host.name), change))
            } else {
                unchanged.append(ComputerName(host.name))
            }
        }
        let plan = Plan(
            changes: changes.sorted { $0.name < $1.name }.map(\.change),
            unchanged: unchanged.sorted().map(\.value),
            warnings: registrationWarnings(desired, byName, spnMappings) + outsiderWarnings(manifest, outsiders)
                + dnsHostNameWarnings(manifest, domain: domain, byName))
        let excesses = ValueBudget.excesses(plan.changes, limit: manifest.directory.valueLimit)
        guard excesses.isEmpty else {
            throw ValueBudgetExceeded(excesses: excesses, limit: manifest.directory.valueLimit)
        }
        return plan
    }

    /// A host dropped from the manifest keeps its own delegation: kcdctl removes the others' delegation to it,
    /// but no longer manages it. Say so, with how many of its values still name the manifest's hosts.
    static func outsiderWarnings(_ manifest: Manifest, _ outsiders: [ObservedComputer]) -> [PlanWarning] {
        let hosts = Set(manifest.hosts.map(ComputerName.init))
        return outsiders.sorted { ComputerName($0.name) < ComputerName($1.name) }.map { computer in
            // A value names a host by its short name or by a DNS name whose first label is that name.
            let naming = computer.allowedToDelegateTo.filter { value in
                let host = SPN(value).host
                return hosts.contains(ComputerName(host)) || hosts.contains(ComputerName(host.prefix { $0 != "." }))
            }.count
            return PlanWarning(
                subject: computer.name,
                message:
                    "not a host of the manifest, but its msDS-AllowedToDelegateTo still names the manifest's hosts (\(naming) of its \(computer.allowedToDelegateTo.count) values): kcdctl does not manage or remove its delegation; clear it by hand (docs/manifest.md, \"A host leaves the manifest\") or add it back"
            )
        }
    }

    /// A `dNSHostName` that is not the computer's own DNS name (e.g. another computer's, written into the
    /// attribute) is not used for the FQDN SPNs (`ComputerName.isOwnDNSName`): say so, and what is used instead.
    static func dnsHostNameWarnings(
        _ manifest: Manifest, domain: String, _ byName: [ComputerName: ObservedComputer]
    ) -> [PlanWarning] {
        var seen = Set<ComputerName>()
        return manifest.accountNames.compactMap { account in
            let name = ComputerName(account)
            guard seen.insert(name).inserted, let computer = byName[name], let dns = computer.dnsHostName,
                !name.isOwnDNSName(dns)
            else { return nil }
            return PlanWarning(
                subject: computer.name,
                message:
                    "dNSHostName \(Printable.quoted(dns)) is not \(computer.name)'s own DNS name: kcdctl ignores it and uses \(account).\(domain) in the SPNs it declares"
            )
        }
    }

    static func diff(
        _ desired: DesiredState.Host, _ current: ObservedComputer, resourceBased: ResourceBasedChange? = nil
    ) -> HostChange? {
        let uac = desired.mode.userAccountControl(from: current.userAccountControl)
        let uacChange =
            uac == current.userAccountControl
            ? nil : UserAccountControlChange(from: current.userAccountControl, to: uac)
        // The common case, and the one a cron drift check meets: AD holds exactly what kcdctl wrote, in the
        // order it wrote it. Checking that costs one string comparison per value.
        if uacChange == nil, resourceBased == nil, desired.targets.equalsExactly(current.allowedToDelegateTo) {
            return nil
        }
        // Next: the same values in another order (written by other tools). AD holds no value twice, so equal
        // counts and every desired value present, spelled alike, means nothing to add or remove.
        let observed = current.allowedToDelegateTo
        if uacChange == nil, resourceBased == nil, observed.count == desired.targets.count {
            let exact = Set(observed)
            if desired.targets.allSatisfy({ exact.contains($0.value) }) { return nil }
        }
        let values = current.allowedToDelegateTo.map(SPN.init)
        let present = Set(values)
        let wanted = Set(desired.targets)
        let add = desired.targets.filter { !present.contains($0) }
        // Remove each undeclared value of a managed service class once, by its stored spelling.
        var seen = Set<SPN>()
        let remove = values.filter { value in
            value.asciiServiceClass.map(desired.managedServiceClasses.contains) == true && !wanted.contains(value)
                && seen.insert(value).inserted
        }.sorted()
        if add.isEmpty && remove.isEmpty && uacChange == nil && resourceBased == nil { return nil }
        return HostChange(
            host: desired.name, dn: current.dn, mode: desired.mode, clusters: desired.clusters,
            add: add, remove: remove, userAccountControl: uacChange, observed: current, resourceBased: resourceBased)
    }

    /// A target SPN that its account does not register can never be delegated to.
    static func registrationWarnings(
        _ desired: DesiredState, _ byName: [ComputerName: ObservedComputer], _ mappings: SPNMappings
    ) -> [PlanWarning] {
        // Each account's targets are checked against its own few SPNs: no hashing of long strings.
        var byOwner: [ComputerName: (owner: String, targets: [SPN])] = [:]
        for spn in desired.allTargets {
            guard let owner = desired.targetOwners[spn] else { continue }
            byOwner[ComputerName(owner), default: (owner, [])].targets.append(spn)
        }
        var warnings: [(key: String, warning: PlanWarning)] = []
        for (account, entry) in byOwner {
            guard let computer = byName[account] else {
                let first = entry.targets.min()!
                warnings.append(
                    (
                        first.key,
                        PlanWarning(
                            subject: entry.owner,
                            message:
                                "storage server \(entry.owner) has no computer object: delegation to its cifs SPNs cannot work"
                        )
                    ))
                continue
            }
            let registered = computer.servicePrincipalNames.map(SPN.init)
            for spn in entry.targets where !mappings.isSatisfied(spn, byAnyOf: registered) {
                warnings.append(
                    (
                        spn.key,
                        PlanWarning(
                            subject: spn.value,
                            message:
                                "not registered on \(computer.name) (nor through sPNMappings): delegation to it cannot work until the SPN is registered"
                        )
                    ))
            }
        }
        return warnings.sorted { $0.key < $1.key }.map(\.warning)
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
        return
            "\(hosts.count) host\(hosts.count == 1 ? "" : "s") of the manifest \(hosts.count == 1 ? "has" : "have") no computer object in the directory: \(list); nothing was changed"
    }
}
