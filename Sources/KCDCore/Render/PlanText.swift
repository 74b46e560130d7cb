/// The plan as a reviewer reads it: per host, `+`/`-` values and the userAccountControl swap with flag
/// names, warnings, and a summary line. Stable order, so two renderings of one plan are identical.
/// With `color`, ANSI colors (for terminals only; the CLI decides, honouring NO_COLOR).
public enum PlanText {
    /// Plans of more hosts than this are compact unless `detailed`: hosts with the same change are one entry,
    /// and each entry lists at most `valuesShown` values of each kind.
    public static let compactAbove = 20
    public static let valuesShown = 8

    public static func render(_ plan: Plan, color: Bool = false, detailed: Bool = true) -> String {
        var out = ""
        write(plan, color: color, detailed: detailed) { out += $0 }
        return out
    }

    /// The same, handed out one entry at a time, so that a plan of thousands of hosts is never one string.
    public static func write(_ plan: Plan, color: Bool = false, detailed: Bool = false, to output: (String) -> Void) {
        let c = Colors(on: color)
        let compact = !detailed && plan.changes.count > compactAbove
        for group in compact ? groups(plan.changes) : plan.changes.map({ [$0] }) {
            let change = group[0]
            // Names and values from files and the directory are shown escaped: a control character in them can
            // neither recolor the terminal nor hide what follows.
            var out =
                group.count == 1
                ? "\(c.yellow)~\(c.reset) \(c.bold)\(Printable.escape(change.host))\(c.reset)  \(Printable.escape(change.dn))\n"
                : "\(c.yellow)~\(c.reset) \(c.bold)\(group.map { Printable.escape($0.host) }.joined(separator: ", "))\(c.reset)  (\(group.count) hosts, the same change each)\n"
            let limit = compact ? valuesShown : Int.max
            for spn in change.add.prefix(limit) {
                out += "    \(c.green)+ msDS-AllowedToDelegateTo: \(Printable.escape(spn.value))\(c.reset)\n"
            }
            if change.add.count > limit {
                out +=
                    "    \(c.green)… and \(change.add.count - limit) more values to add (kcdctl plan --detailed lists them)\(c.reset)\n"
            }
            for spn in change.remove.prefix(limit) {
                out += "    \(c.red)- msDS-AllowedToDelegateTo: \(Printable.escape(spn.value))\(c.reset)\n"
            }
            if change.remove.count > limit {
                out +=
                    "    \(c.red)… and \(change.remove.count - limit) more values to remove (kcdctl plan --detailed lists them)\(c.reset)\n"
            }
            if let uac = change.userAccountControl {
                out += "    \(c.yellow)~ userAccountControl: \(uac.from) -> \(uac.to)\(c.reset)\n"
                for flag in uac.added.flagNames { out += "        \(c.green)+ \(flag)\(note(flag))\(c.reset)\n" }
                for flag in uac.removed.flagNames {
                    let fix = flag == "TRUSTED_FOR_DELEGATION" ? "  \(c.bold)SECURITY FIX" : ""
                    out += "        \(c.red)- \(flag)\(note(flag))\(fix)\(c.reset)\n"
                }
            }
            if let rbcd = change.resourceBased {
                let attribute = ResourceBasedChange.attribute
                for principal in rbcd.allow {
                    out += "    \(c.green)+ \(attribute): allow \(principal.display)\(c.reset)\n"
                }
                for principal in rbcd.revoke {
                    out += "    \(c.red)- \(attribute): allow \(principal.display)\(c.reset)\n"
                }
                if rbcd.to == nil { out += "    \(c.red)  (no grant remains: the attribute is deleted)\(c.reset)\n" }
            }
            output(out + "\n")
        }
        var out = ""
        if !plan.warnings.isEmpty {
            out += "\(c.yellow)Warnings:\(c.reset)\n"
            for warning in plan.warnings {
                out +=
                    "  \(c.yellow)!\(c.reset) \(Printable.escape(warning.subject)): \(Printable.escape(warning.message))\n"
            }
            out += "\n"
        }
        if compact { out += clusterSummary(plan) }
        output(out + summaryLine(plan) + "\n")
    }

    /// Per cluster, in order of appearance: hosts to change and values to add and remove (a host in two
    /// clusters counts in both).
    static func clusterSummary(_ plan: Plan) -> String {
        var order: [String] = []
        var totals: [String: (hosts: Int, add: Int, remove: Int)] = [:]
        for change in plan.changes {
            for cluster in change.clusters {
                if totals[cluster] == nil { order.append(cluster) }
                totals[cluster, default: (0, 0, 0)].hosts += 1
                totals[cluster]!.add += change.add.count
                totals[cluster]!.remove += change.remove.count
            }
        }
        return order.map { name in
            let t = totals[name]!
            return
                "Cluster \(Printable.escape(name)): \(count(t.hosts, "host")) to change, \(count(t.add, "value")) to add, \(t.remove) to remove.\n"
        }.joined() + "\n"
    }

    /// Changes that are the same (values to add and remove, userAccountControl from and to), in plan order.
    static func groups(_ changes: [HostChange]) -> [[HostChange]] {
        struct Key: Hashable {
            var add: [String], remove: [String], from: UInt32?, to: UInt32?, grants: [String]
        }
        var order: [Key] = []
        var members: [Key: [HostChange]] = [:]
        for change in changes {
            let key = Key(
                add: change.add.map(\.value), remove: change.remove.map(\.value),
                from: change.userAccountControl?.from.rawValue, to: change.userAccountControl?.to.rawValue,
                grants: change.resourceBased.map { r in
                    r.allow.map { "+\($0.sid)" } + r.revoke.map { "-\($0.sid)" } + (r.to == nil ? ["deleted"] : [])
                } ?? [])
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(change)
        }
        return order.map { members[$0]! }
    }

    public static func summaryLine(_ plan: Plan) -> String {
        let s = plan.summary
        if plan.isEmpty {
            return
                "No changes: \(count(s.hostsUnchanged, "host")) \(s.hostsUnchanged == 1 ? "matches" : "match") the manifest."
        }
        var parts = [
            "\(count(s.valuesToAdd, "value")) to add", "\(s.valuesToRemove) to remove",
            "\(count(s.userAccountControlChanges, "userAccountControl change"))",
        ]
        if s.securityFixes > 0 { parts.append("\(count(s.securityFixes, "security fix", plural: "security fixes"))") }
        return
            "Plan: \(count(s.hostsToChange, "host")) to change (\(parts.joined(separator: ", "))), \(s.hostsUnchanged) unchanged."
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
        (green, red, yellow, bold, reset) =
            on
            ? ("\u{1B}[32m", "\u{1B}[31m", "\u{1B}[33m", "\u{1B}[1m", "\u{1B}[0m") : ("", "", "", "", "")
    }
}
