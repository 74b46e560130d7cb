/// `kcdctl doctor`'s findings for a person: one block per finding (severity, subject, problem, why, fix), then
/// the counts. With `--user` and no finding at all, the Windows-side checklist follows ([WindowsSideChecklist]).
public enum DoctorText {
    public static func render(_ findings: [Finding], users: [String] = []) -> String {
        guard !findings.isEmpty else {
            var out = "No findings: nothing known to break live migration.\n"
            if let checklist = WindowsSideChecklist.items(findings: findings, users: users) {
                out += "\nActive Directory is as live migration needs it for "
                out += users.map(Printable.escape).joined(separator: ", ")
                out += ". If migration still fails, check the hosts (\(WindowsSideChecklist.document)):\n"
                out += checklist.map { "  - \($0)\n" }.joined()
            }
            return out
        }
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

/// What to check on the Hyper-V hosts when `doctor --user U` finds nothing in Active Directory: the user says
/// migration fails, and every cause doctor can see from the directory is ruled out. Decided from the users given
/// and the findings alone; the reasons and sources are in docs/windows-side.md.
public enum WindowsSideChecklist {
    public static let document = "docs/windows-side.md"

    /// The checklist when users were named and nothing was found (not even information), else nil.
    public static func items(findings: [Finding], users: [String]) -> [String]? {
        guard findings.isEmpty, !users.isEmpty else { return nil }
        return lines
    }

    static let lines = [
        "every host authenticates migrations with Kerberos: Get-VMHost | Select VirtualMachineMigrationAuthenticationType "
            + "(Set-VMHost -VirtualMachineMigrationAuthenticationType Kerberos; the default is CredSSP)",
        "migration is enabled on every host, on networks the others reach: Enable-VMMigration, Get-VMMigrationNetwork",
        "the hosts reach each other on TCP 6600 (live migration) and TCP 445 (SMB, for storage moves)",
        "no stale tickets on the source host: klist -li 0x3e7 purge there, as administrator, after any delegation change",
        "the DCs the hosts ask for tickets hold the change: kcdctl drift --all-dcs",
        "the migration was started remotely (Hyper-V Manager, Move-VM) by a user checked here; "
            + "a failover cluster's own moves do not use this delegation",
        "still failing: the source host's Microsoft-Windows-Hyper-V-VMMS-Admin log, and events 4769 on the DCs",
    ]
}
