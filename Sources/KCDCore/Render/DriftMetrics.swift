/// The drift check's outcome in the Prometheus text format, for node_exporter's textfile collector.
public enum DriftMetrics {
    public struct Run: Sendable {
        /// Nil when the check failed.
        public var plan: Plan?
        public var finished: Double
        public var duration: Double
        public var manifest: String
        /// `drift --all-dcs`: every DC's outcome (a series per DC) and the hosts they disagree about.
        public var domainControllers: DomainControllerComparison?

        public init(
            plan: Plan?, finished: Double, duration: Double, manifest: String,
            domainControllers: DomainControllerComparison? = nil
        ) {
            self.plan = plan
            self.finished = finished
            self.duration = duration
            self.manifest = manifest
            self.domainControllers = domainControllers
        }
    }

    public static func render(_ run: Run) -> String {
        let label = "{manifest=\"\(escape(run.manifest))\"}"
        var out = ""
        func metric(_ name: String, _ help: String, _ value: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name)\(label) \(value)\n"
        }
        metric(
            "kcdctl_drift_success", "1 if the last drift check could read the directory, 0 if it failed.",
            run.plan == nil ? "0" : "1")
        metric(
            "kcdctl_drift_last_run_timestamp_seconds", "When the last drift check finished (Unix time).",
            format(run.finished))
        metric("kcdctl_drift_duration_seconds", "How long the last drift check took.", format(run.duration))
        if let plan = run.plan {
            let s = plan.summary
            metric(
                "kcdctl_drift_hosts", "Managed hosts whose delegation differs from the manifest.", "\(s.hostsToChange)")
            metric("kcdctl_drift_hosts_in_sync", "Managed hosts that match the manifest.", "\(s.hostsUnchanged)")
            metric(
                "kcdctl_drift_values_missing", "Delegation values the manifest declares that AD lacks.",
                "\(s.valuesToAdd)")
            metric(
                "kcdctl_drift_values_extra", "Delegation values in AD that the manifest would remove.",
                "\(s.valuesToRemove)")
            metric(
                "kcdctl_drift_user_account_control_mismatches",
                "Hosts whose delegation bits of userAccountControl differ.", "\(s.userAccountControlChanges)")
            metric(
                "kcdctl_drift_unconstrained_delegation_hosts",
                "Managed hosts with unconstrained delegation (0x80000) set.", "\(s.securityFixes)")
        }
        if let comparison = run.domainControllers {
            out += perDomainController(comparison, manifest: run.manifest)
        }
        return out
    }

    /// A series per DC (labels `dc` and `site`), and the number of hosts the DCs disagree about. An unreachable
    /// DC has `kcdctl_drift_dc_success 0` and no host counts.
    static func perDomainController(_ comparison: DomainControllerComparison, manifest: String) -> String {
        let manifest = "manifest=\"\(escape(manifest))\""
        var out =
            "# HELP kcdctl_drift_disagreeing_hosts Managed hosts whose delegation differs between the DCs read (drift --all-dcs).\n"
            + "# TYPE kcdctl_drift_disagreeing_hosts gauge\n"
            + "kcdctl_drift_disagreeing_hosts{\(manifest)} \(comparison.disagreements.count)\n"
        let series: [(String, String, (DomainControllerComparison.Outcome) -> Int?)] = [
            (
                "kcdctl_drift_dc_success", "1 if the DC could be read (drift --all-dcs), 0 if not.",
                { $0.plan == nil ? 0 : 1 }
            ),
            (
                "kcdctl_drift_dc_hosts",
                "Managed hosts whose delegation on this DC differs from the manifest or is absent.",
                { outcome in outcome.plan.map { $0.changes.count + outcome.missing.count } }
            ),
            (
                "kcdctl_drift_dc_hosts_in_sync", "Managed hosts that match the manifest on this DC.",
                { $0.plan?.unchanged.count }
            ),
        ]
        for (name, help, value) in series {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for outcome in comparison.domainControllers {
                guard let value = value(outcome) else { continue }
                let dc = outcome.domainController
                let labels = "\(manifest),dc=\"\(escape(dc.host))\",site=\"\(escape(dc.site ?? ""))\""
                out += "\(name){\(labels)} \(value)\n"
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
