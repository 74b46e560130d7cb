/// The plan as Markdown for a merge-request comment, within a size budget (GitHub and GitLab refuse comments
/// over 65,536 characters): the summary first, a table per cluster with each host's counts and its
/// userAccountControl change (a host in two clusters shows in both), the warnings, then each host's values in
/// a collapsed `<details>` block. What does not fit is cut at a whole section, with a line that says so and
/// points at the saved plan.
public enum PlanMarkdown {
    public static let defaultBudget = 60_000

    public static func render(_ plan: Plan, manifest: Manifest, directory: String, budget: Int = defaultBudget)
        -> String
    {
        var out = "### kcdctl plan for \(code(directory))\n\n**\(PlanText.summaryLine(plan))**\n"
        if plan.isEmpty { return out }
        var sections: [String] = []
        for cluster in manifest.clusters {
            let changes = plan.changes.filter { $0.clusters.contains(cluster.name) }
            let members = Set(cluster.hosts.map(ComputerName.init))
            let unchanged = plan.unchanged.filter { members.contains(ComputerName($0)) }
            guard !changes.isEmpty else { continue }
            var table = "\n#### Cluster \(code(cluster.name)) (\(cluster.mode.rawValue))\n\n"
            table += "| Host | Add | Remove | userAccountControl |\n|---|---|---|---|\n"
            for change in changes {
                let add = change.add.count + (change.resourceBased?.allow.count ?? 0)
                let remove = change.remove.count + (change.resourceBased?.revoke.count ?? 0)
                table += "| **\(text(change.host))** | \(add) | \(remove) | \(uac(change)) |\n"
            }
            if !unchanged.isEmpty { table += "\nUnchanged: \(unchanged.map(code).joined(separator: ", "))\n" }
            sections.append(table)
        }
        if !plan.warnings.isEmpty {
            sections.append("\n**Warnings**\n\n")
            sections += plan.warnings.map { "- \(code($0.subject)): \(text($0.message))\n" }
        }
        for change in plan.changes {
            let rbcd = change.resourceBased
            let add = change.add.count + (rbcd?.allow.count ?? 0)
            let remove = change.remove.count + (rbcd?.revoke.count ?? 0)
            var block =
                "\n<details><summary>\(text(change.host)): \(add) to add, \(remove) to remove</summary>\n\n"
            for spn in change.add { block += "- add \(code(spn.value))\n" }
            for spn in change.remove { block += "- remove \(code(spn.value))\n" }
            for principal in rbcd?.allow ?? [] { block += "- allow \(code(principal.display)) (resource-based)\n" }
            for principal in rbcd?.revoke ?? [] {
                block += "- no longer allow \(code(principal.display)) (resource-based)\n"
            }
            sections.append(block + "\n</details>\n")
        }
        // Room for the line that says what was cut.
        let reserve = 200
        for (i, section) in sections.enumerated() {
            guard out.unicodeScalars.count + section.unicodeScalars.count + reserve <= budget else {
                out +=
                    "\n_The rest of this plan (\(sections.count - i) more section\(sections.count - i == 1 ? "" : "s")) does not fit in \(budget) characters: see the saved plan (`kcdctl show PLAN.json`)._\n"
                break
            }
            out += section
        }
        return out
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
        value.utf8.allSatisfy(isPlain) && !value.isEmpty
            ? "`\(value)`" : "<code>\(entities(Printable.escape(value)))</code>"
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
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x20, 0x2F, 0x2E, 0x3A, 0x2D, 0x3D, 0x2C, 0x40, 0x28, 0x29, 0x27:
            true
        default: false
        }
    }
}
