/// The plan as a reviewer reads it: per host, `+`/`-` values and the userAccountControl swap with flag
/// names, warnings, and a summary line. Stable order, so two renderings of one plan are identical.
/// With `color`, ANSI colors (for terminals only; the CLI decides, honouring NO_COLOR).
public enum PlanText {
    public static func render(_ plan: Plan, color: Bool = false) -> String {
        var out = ""
        write(plan, color: color) { out += $0 }
        return out
    }

    /// The same, handed out one host at a time, so that a plan of thousands of hosts is never one string.
    public static func write(_ plan: Plan, color: Bool = false, to output: (String) -> Void) {
        let c = Colors(on: color)
        for change in plan.changes {
            // Names and values from files and the directory are shown escaped: a control character in them can
            // neither recolor the terminal nor hide what follows.
            var out = "\(c.yellow)~\(c.reset) \(c.bold)\(Printable.escape(change.host))\(c.reset)  \(Printable.escape(change.dn))\n"
            for spn in change.add { out += "    \(c.green)+ msDS-AllowedToDelegateTo: \(Printable.escape(spn.value))\(c.reset)\n" }
            for spn in change.remove { out += "    \(c.red)- msDS-AllowedToDelegateTo: \(Printable.escape(spn.value))\(c.reset)\n" }
            if let uac = change.userAccountControl {
                out += "    \(c.yellow)~ userAccountControl: \(uac.from) -> \(uac.to)\(c.reset)\n"
                for flag in uac.added.flagNames { out += "        \(c.green)+ \(flag)\(note(flag))\(c.reset)\n" }
                for flag in uac.removed.flagNames {
                    let fix = flag == "TRUSTED_FOR_DELEGATION" ? "  \(c.bold)SECURITY FIX" : ""
                    out += "        \(c.red)- \(flag)\(note(flag))\(fix)\(c.reset)\n"
                }
            }
            output(out + "\n")
        }
        var out = ""
        if !plan.warnings.isEmpty {
            out += "\(c.yellow)Warnings:\(c.reset)\n"
            for warning in plan.warnings { out += "  \(c.yellow)!\(c.reset) \(Printable.escape(warning.subject)): \(Printable.escape(warning.message))\n" }
            out += "\n"
        }
        output(out + summaryLine(plan) + "\n")
    }

    public static func summaryLine(_ plan: Plan) -> String {
        let s = plan.summary
        if plan.isEmpty {
            return "No changes: \(count(s.hostsUnchanged, "host")) \(s.hostsUnchanged == 1 ? "matches" : "match") the manifest."
        }
        var parts = ["\(count(s.valuesToAdd, "value")) to add", "\(s.valuesToRemove) to remove",
                     "\(count(s.userAccountControlChanges, "userAccountControl change"))"]
        if s.securityFixes > 0 { parts.append("\(count(s.securityFixes, "security fix", plural: "security fixes"))") }
        return "Plan: \(count(s.hostsToChange, "host")) to change (\(parts.joined(separator: ", "))), \(s.hostsUnchanged) unchanged."
    }

    static func note(_ flag: String) -> String {
        switch flag {
        case "TRUSTED_TO_AUTH_FOR_DELEGATION": "  (constrained delegation: use any authentication protocol)"
        case "TRUSTED_FOR_DELEGATION": "  (unconstrained delegation)"
        default: ""
        }
    }

    static func count(_ n: Int, _ noun: String, plural: String? = nil) -> String {
        "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
    }
}

/// ANSI escapes, or nothing.
struct Colors {
    let green, red, yellow, bold, reset: String
    init(on: Bool) {
        (green, red, yellow, bold, reset) = on
            ? ("\u{1B}[32m", "\u{1B}[31m", "\u{1B}[33m", "\u{1B}[1m", "\u{1B}[0m") : ("", "", "", "", "")
    }
}
