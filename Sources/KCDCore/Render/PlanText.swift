/// The plan as a reviewer reads it: per host, `+`/`-` values and the userAccountControl swap with flag
/// names, warnings, and a summary line. Stable order, so two renderings of one plan are identical.
public enum PlanText {
    public static func render(_ plan: Plan) -> String {
        var out = ""
        for change in plan.changes {
            out += "~ \(change.host)  \(change.dn)\n"
            for spn in change.add { out += "    + msDS-AllowedToDelegateTo: \(spn.value)\n" }
            for spn in change.remove { out += "    - msDS-AllowedToDelegateTo: \(spn.value)\n" }
            if let uac = change.userAccountControl {
                out += "    ~ userAccountControl: \(uac.from) -> \(uac.to)\n"
                for flag in uac.added.flagNames { out += "        + \(flag)\(note(flag))\n" }
                for flag in uac.removed.flagNames { out += "        - \(flag)\(note(flag, removed: true))\n" }
            }
            out += "\n"
        }
        if !plan.warnings.isEmpty {
            out += "Warnings:\n"
            for warning in plan.warnings { out += "  ! \(warning.subject): \(warning.message)\n" }
            out += "\n"
        }
        out += summaryLine(plan) + "\n"
        return out
    }

    public static func summaryLine(_ plan: Plan) -> String {
        let s = plan.summary
        if plan.isEmpty {
            return "No changes: \(count(s.hostsUnchanged, "host")) match the manifest."
        }
        var parts = ["\(count(s.valuesToAdd, "value")) to add", "\(s.valuesToRemove) to remove",
                     "\(count(s.userAccountControlChanges, "userAccountControl change"))"]
        if s.securityFixes > 0 { parts.append("\(count(s.securityFixes, "security fix", plural: "security fixes"))") }
        return "Plan: \(count(s.hostsToChange, "host")) to change (\(parts.joined(separator: ", "))), \(s.hostsUnchanged) unchanged."
    }

    static func note(_ flag: String, removed: Bool = false) -> String {
        switch flag {
        case "TRUSTED_TO_AUTH_FOR_DELEGATION": "  (constrained delegation: use any authentication protocol)"
        case "TRUSTED_FOR_DELEGATION": removed ? "  (unconstrained delegation)  SECURITY FIX" : "  (unconstrained delegation)"
        default: ""
        }
    }

    static func count(_ n: Int, _ noun: String, plural: String? = nil) -> String {
        "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
    }
}
