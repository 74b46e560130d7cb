/// `drift --all-dcs`: each DC read, and the hosts the DCs disagree about, as text and JSON. (The drift of
/// the whole domain is the usual plan text or document.) Every name and value is the directory's, so shown
/// escaped.
public enum DomainControllerText {
    /// One line per DC (what it holds compared with the manifest, or why it was not read), then the hosts the
    /// DCs disagree about, each DC's state of each.
    public static func render(_ comparison: DomainControllerComparison) -> String {
        let n = comparison.domainControllers.count
        var out = "Read \(n) domain controller\(n == 1 ? "" : "s"):\n"
        for outcome in comparison.domainControllers {
            out += "  \(name(outcome.domainController)): \(summary(outcome))\n"
        }
        let disagreements = comparison.disagreements
        guard !disagreements.isEmpty else { return out + "\n" }
        let h = disagreements.count
        out +=
            "\nDOMAIN CONTROLLERS DISAGREE about \(h) host\(h == 1 ? "" : "s"): replication has not converged, "
            + "or is broken (samba-tool drs showrepl / repadmin /showrepl); a host that gets its tickets from a DC "
            + "that lacks its delegation fails with 0x8009030E:\n"
        for disagreement in disagreements {
            out += "  \(Printable.escape(disagreement.host))\n"
            let flagsDiffer = Set(disagreement.states.filter(\.exists).map(\.delegationFlags.rawValue)).count > 1
            for state in disagreement.states {
                out += "    \(name(state.domainController)): \(describe(state, flags: flagsDiffer))\n"
            }
        }
        return out + "\n"
    }

    static func name(_ dc: ReplicaDomainController) -> String {
        Printable.escape(dc.host) + (dc.site.map { " (site \(Printable.escape($0)))" } ?? "")
    }

    static func summary(_ outcome: DomainControllerComparison.Outcome) -> String {
        guard let plan = outcome.plan else {
            return "unreachable: \(Printable.escape(outcome.failure ?? "not read"))"
        }
        var parts: [String] = []
        let differ = plan.changes.count
        if differ > 0 { parts.append("\(differ) host\(differ == 1 ? " differs" : "s differ") from the manifest") }
        let match = plan.unchanged.count
        parts.append("\(match) host\(match == 1 ? " matches" : "s match")")
        let missing = outcome.missing.count
        if missing > 0 {
            parts.append(
                "no computer object for \(outcome.missing.prefix(8).map(Printable.escape).joined(separator: ", "))"
                    + (missing > 8 ? " and \(missing - 8) more" : ""))
        }
        return parts.joined(separator: "; ")
    }

    static func describe(_ state: DomainControllerComparison.HostState, flags: Bool) -> String {
        guard state.exists else { return "no computer object" }
        var parts = [state.matchesManifest ? "matches the manifest" : "differs from the manifest"]
        if !state.lacks.isEmpty {
            parts.append(
                "lacks " + state.lacks.prefix(8).map(Printable.escape).joined(separator: ", ")
                    + (state.lacks.count > 8 ? " and \(state.lacks.count - 8) more" : ""))
        }
        if !state.lacksGrants.isEmpty {
            parts.append(
                "lacks the resource-based grant of " + state.lacksGrants.prefix(8).joined(separator: ", ")
                    + (state.lacksGrants.count > 8 ? " and \(state.lacksGrants.count - 8) more" : ""))
        }
        if flags {
            let names = state.delegationFlags.flagNames
            parts.append("delegation flags: " + (names.isEmpty ? "none" : names.joined(separator: ", ")))
        }
        return parts.joined(separator: "; ")
    }

    /// `drift --all-dcs --format json`: the DCs, the disagreements and, under `drift`, the plan document of the
    /// whole domain's drift (the same document `drift --format json` prints).
    public struct Document: Encodable {
        public struct DomainController: Encodable {
            var host: String
            var site: String?
            var read: Bool
            var failure: String?
            var hostsDiffering: [String]
            var hostsMatching: [String]
            var hostsMissing: [String]
        }
        public struct State: Encodable {
            var domainController: String
            var exists: Bool
            var matchesManifest: Bool
            var lacks: [String]
            var delegationFlags: [String]
            var lacksGrants: [String]
        }
        public struct Disagreement: Encodable {
            var host: String
            var states: [State]
        }
        var domainControllers: [DomainController]
        var disagreements: [Disagreement]
        var drift: PlanDocument

        public init(_ comparison: DomainControllerComparison, drift: PlanDocument) {
            domainControllers = comparison.domainControllers.map { outcome in
                DomainController(
                    host: outcome.domainController.host, site: outcome.domainController.site,
                    read: outcome.plan != nil, failure: outcome.failure,
                    hostsDiffering: outcome.plan?.changes.map(\.host) ?? [],
                    hostsMatching: outcome.plan?.unchanged ?? [], hostsMissing: outcome.missing)
            }
            disagreements = comparison.disagreements.map { disagreement in
                Disagreement(
                    host: disagreement.host,
                    states: disagreement.states.map { state in
                        State(
                            domainController: state.domainController.host, exists: state.exists,
                            matchesManifest: state.matchesManifest, lacks: state.lacks,
                            delegationFlags: state.delegationFlags.flagNames, lacksGrants: state.lacksGrants)
                    })
            }
            self.drift = drift
        }
    }
}
