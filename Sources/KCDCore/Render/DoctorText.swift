/// `kcdctl doctor`'s findings for a person: one block per finding (severity, subject, problem, why, fix), then
/// the counts.
public enum DoctorText {
    public static func render(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "No findings: nothing known to break live migration.\n" }
        var out = ""
        for f in findings {
            // Subjects and problems quote what the directory holds: shown escaped.
            out += "\(f.severity.rawValue.uppercased()) \(Printable.escape(f.subject)): "
            out += "\(Printable.escape(f.problem))\n"
            out += "    why: \(f.why)\n    fix: \(Printable.escape(f.fix))\n"
        }
        let counts = Dictionary(grouping: findings, by: \.severity).mapValues(\.count)
        out += "\n\(findings.count) finding\(findings.count == 1 ? "" : "s"): \(counts[.error] ?? 0) error(s), "
        out += "\(counts[.warning] ?? 0) warning(s), \(counts[.info] ?? 0) info.\n"
        return out
    }
}
