/// The plan as Markdown for a merge-request comment: a table per cluster (a host in two clusters shows in
/// both), warnings, and the summary.
public enum PlanMarkdown {
    public static func render(_ plan: Plan, manifest: Manifest, directory: String) -> String {
        var out = "### kcdctl plan for `\(directory)`\n\n"
        if plan.isEmpty {
            return out + "\(PlanText.summaryLine(plan))\n"
        }
        for cluster in manifest.clusters {
            let changes = plan.changes.filter { $0.clusters.contains(cluster.name) }
            let unchanged = plan.unchanged.filter { host in cluster.hosts.contains { $0.lowercased() == host.lowercased() } }
            guard !changes.isEmpty else { continue }
            out += "#### Cluster `\(cluster.name)` (\(cluster.mode.rawValue))\n\n"
            out += "| Host | Add | Remove | userAccountControl |\n|---|---|---|---|\n"
            for change in changes {
                out += "| **\(cell(change.host))** | \(list(change.add)) | \(list(change.remove)) | \(uac(change)) |\n"
            }
            if !unchanged.isEmpty { out += "\nUnchanged: \(unchanged.map { "`\(cell($0))`" }.joined(separator: ", "))\n" }
            out += "\n"
        }
        if !plan.warnings.isEmpty {
            out += "**Warnings**\n\n"
            for warning in plan.warnings { out += "- `\(cell(warning.subject))`: \(cell(warning.message))\n" }
            out += "\n"
        }
        return out + "**\(PlanText.summaryLine(plan))**\n"
    }

    static func list(_ spns: [SPN]) -> String {
        spns.isEmpty ? "" : spns.map { "`\(cell($0.value))`" }.joined(separator: "<br>")
    }

    static func uac(_ change: HostChange) -> String {
        guard let uac = change.userAccountControl else { return "" }
        var parts = uac.added.flagNames.map { "+\($0)" } + uac.removed.flagNames.map { "−\($0)" }
        if change.removesUnconstrainedDelegation { parts.append("**SECURITY FIX**") }
        return "`\(uac.from)` → `\(uac.to)`<br>" + parts.joined(separator: " ")
    }

    /// Table cells may not hold a pipe or a line break.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
