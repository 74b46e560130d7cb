/// `kcdctl doctor --format json`: `{"findings": [...]}`, each finding with its severity, subject, problem, why
/// and fix.
public enum DoctorJSON {
    struct Document: Encodable {
        var findings: [Finding]
    }

    public static func render(_ findings: [Finding]) -> String {
        JSONOutput.text(Document(findings: findings))
    }
}
