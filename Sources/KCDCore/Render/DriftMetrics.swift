/// The drift check's outcome in the Prometheus text format, for node_exporter's textfile collector.
public enum DriftMetrics {
    public struct Run: Sendable {
        /// Nil when the check failed.
        public var plan: Plan?
        public var finished: Double
        public var duration: Double
        public var manifest: String

        public init(plan: Plan?, finished: Double, duration: Double, manifest: String) {
            self.plan = plan
            self.finished = finished
            self.duration = duration
            self.manifest = manifest
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
