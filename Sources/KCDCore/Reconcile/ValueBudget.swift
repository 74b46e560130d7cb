/// Active Directory refuses a modify once an object would hold about 1,200 values across its non-linked
/// multi-valued attributes (`adminLimitExceeded`: the object's database record is full; about 3,200 on Windows
/// Server 2025 DCs with 32 KB pages; Samba has no such limit). `msDS-AllowedToDelegateTo` and
/// `servicePrincipalName` count together, and with two services in two name forms a host needs four values per
/// peer: a migration group of about 300 hosts cannot be written at all. The plan is checked against
/// `directory.valueLimit` before anything is written, so that the DC's refusal is not met half-way through.
public enum ValueBudget {
    /// SPNs a Hyper-V host typically registers itself (HOST, RestrictedKrbHost, TERMSRV, WSMAN, the migration
    /// service, in two name forms, and a few more): what `validate`, which reads no directory, allows for.
    public static let typicalSPNs = 30

    /// One host over the limit: what it would hold.
    public struct Excess: Sendable, Equatable {
        public var host: String
        public var delegationValues: Int
        public var servicePrincipalNames: Int
        public var total: Int { delegationValues + servicePrincipalNames }
    }

    /// The hosts of `changes` that would hold more than `limit` values after their change (only a change that
    /// adds can push a host over; a host already over it and not growing is left to the DC).
    /// - Parameter now: the hosts as read in this run, when the changes were computed earlier (a saved plan
    ///   carries no SPNs, and SPNs registered since count too); nil: as each change read them.
    public static func excesses(
        _ changes: [HostChange], now: [ComputerName: ObservedComputer]? = nil, limit: Int
    ) -> [Excess] {
        changes.compactMap { change in
            guard !change.add.isEmpty else { return nil }
            let current = now?[ComputerName(change.host)] ?? change.observed
            let values = current.allowedToDelegateTo.count - change.remove.count + change.add.count
            let excess = Excess(
                host: change.host, delegationValues: values,
                servicePrincipalNames: current.servicePrincipalNames.count)
            return excess.total > limit ? excess : nil
        }
    }

    /// What to do about it, for the plan's refusal and for the DC's `adminLimitExceeded`.
    public static let advice =
        "declare fewer nameForms or services, or split the migration group; raise directory.valueLimit only for "
        + "DCs with 32 KB database pages (Windows Server 2025, about 3,200) or for Samba, which has no such limit"

    /// `validate`'s warnings: each cluster whose hosts' declared values, with a host's typical SPNs, exceed
    /// `limit` (the largest host of each cluster).
    public static func warnings(_ manifest: Manifest) -> [String] {
        let limit = manifest.directory.valueLimit
        let counts = Dictionary(
            DesiredState.expand(manifest, domain: "").hosts.map { (ComputerName($0.name), $0.targets.count) },
            uniquingKeysWith: max)
        return manifest.clusters.compactMap { cluster in
            let most = cluster.hosts.compactMap { counts[ComputerName($0)] }.max() ?? 0
            guard most + typicalSPNs > limit else { return nil }
            return
                "cluster '\(cluster.name)' (line \(cluster.location.line)): a host declares \(most) delegation values; with the \(typicalSPNs) or so SPNs a host registers that exceeds directory.valueLimit (\(limit)): a Windows DC would refuse the write (adminLimitExceeded); \(advice)"
        }
    }
}

/// The plan would make hosts hold more values than the directory takes. Nothing is written.
public struct ValueBudgetExceeded: Error, Equatable, CustomStringConvertible {
    public var excesses: [ValueBudget.Excess]
    public var limit: Int

    public var description: String {
        let shown = excesses.prefix(5).map {
            "\($0.host) would hold \($0.total) (\($0.delegationValues) in msDS-AllowedToDelegateTo, \($0.servicePrincipalNames) SPNs)"
        }
        let more = excesses.count > 5 ? " and \(excesses.count - 5) more" : ""
        return
            "more values than directory.valueLimit (\(limit)) on one object: \(shown.joined(separator: "; "))\(more); a Windows DC refuses such a write (adminLimitExceeded): \(ValueBudget.advice); nothing was changed"
    }
}
