/// The plan as Markdown for a merge-request comment: a table per cluster (a host in two clusters shows in
/// both), warnings, and the summary.
public enum PlanMarkdown {
    public static func render(_ plan: Plan, manifest: Manifest, directory: String) -> String {
        var out = "### kcdctl plan for \(code(directory))\n\n"
        if plan.isEmpty {
            return out + "\(PlanText.summaryLine(plan))\n"
        }
        for cluster in manifest.clusters {
            let changes = plan.changes.filter { $0.clusters.contains(cluster.name) }
            let unchanged = plan.unchanged.filter { host in cluster.hosts.contains { $0.lowercased() == host.lowercased() } }
            guard !changes.isEmpty else { continue }
            out += "#### Cluster \(code(cluster.name)) (\(cluster.mode.rawValue))\n\n"
            out += "| Host | Add | Remove | userAccountControl |\n|---|---|---|---|\n"
            for change in changes {
                out += "| **\(text(change.host))** | \(list(change.add)) | \(list(change.remove)) | \(uac(change)) |\n"
            }
            if !unchanged.isEmpty { out += "\nUnchanged: \(unchanged.map(code).joined(separator: ", "))\n" }
            out += "\n"
        }
        if !plan.warnings.isEmpty {
            out += "**Warnings**\n\n"
            for warning in plan.warnings { out += "- \(code(warning.subject)): \(text(warning.message))\n" }
            out += "\n"
        }
        return out + "**\(PlanText.summaryLine(plan))**\n"
    }

    static func list(_ spns: [SPN]) -> String {
        spns.isEmpty ? "" : spns.map { code($0.value) }.joined(separator: "<br>")
    }

    static func uac(_ change: HostChange) -> String {
        guard let uac = change.userAccountControl else { return "" }
        var parts = uac.added.flagNames.map { "+\($0)" } + uac.removed.flagNames.map { "−\($0)" }
        if change.removesUnconstrainedDelegation { parts.append("**SECURITY FIX**") }
        return "`\(uac.from)` → `\(uac.to)`<br>" + parts.joined(separator: " ")
    }

    /// A value as code. Values from the manifest and the directory are hostile: one made of plain characters
    /// is a code span, as a person would write it; any other is an HTML `<code>` element in which every
    /// character Markdown or HTML would act on (backticks, pipes that end table cells, `*`, `<`, `&`, …) is
    /// an entity and every control character is shown as an escape, so a review comment shows the value
    /// exactly and can never be made to show something else.
    static func code(_ value: String) -> String {
        value.utf8.allSatisfy(isPlain) && !value.isEmpty ? "`\(value)`" : "<code>\(entities(Printable.escape(value)))</code>"
    }

    /// Prose (warnings, host names): plain characters as they are, anything else as entities or escapes.
    static func text(_ value: String) -> String {
        value.utf8.allSatisfy(isPlain) ? value : entities(Printable.escape(value))
    }

    static func entities(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if isPlain(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) } else { out += "&#\(byte);" }
        }
        return out
    }

    /// Letters, digits, space and `/ . : - = , @ ( ) '`: nothing Markdown, HTML or a table acts on.
    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x20, 0x2F, 0x2E, 0x3A, 0x2D, 0x3D, 0x2C, 0x40, 0x28, 0x29, 0x27: true
        default: false
        }
    }
}
