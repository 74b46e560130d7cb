/// `kcdctl doctor --format json`: `{"findings": [...]}`, each finding with its severity, subject, problem, why
/// and fix; with `--user` and no finding at all, also `"checklist"`: the Windows-side things to check
/// ([WindowsSideChecklist], docs/windows-side.md).
public enum DoctorJSON {
    struct Document: Encodable {
        var findings: [Finding]
        /// Absent unless users were named and nothing was found.
        var checklist: [String]?
    }

    public static func render(_ findings: [Finding], users: [String] = []) -> String {
        JSONOutput.text(
            Document(findings: findings, checklist: WindowsSideChecklist.items(findings: findings, users: users)))
    }
}
