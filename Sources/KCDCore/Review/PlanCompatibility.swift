/// Which kcdctl applies which saved plan (docs/compatibility.md). A plan's `formatVersion` must be this
/// kcdctl's (`PlanDocument.decode`); besides, the kcdctl that made it must be of this kcdctl's minor version
/// line (0.2.0 applies plans of 0.2.0, 0.2.5, 0.2.0-dev), or of a line `compatiblePlanLines` lists for it. A
/// patch release never changes what a plan means; a minor release may, so another minor version's plans are
/// applied only once that is proven: fixture plans of that version in Tests/fixtures/plans, which the fixture
/// tests (Tests/KCDCoreTests/FixtureTests.swift) accept and apply.
extension PlanDocument {
    /// For a minor version line, the other lines whose saved plans it applies, each proven by fixture plans.
    /// 0.2 applies 0.1's: the same format (2) and meaning (Tests/fixtures/plans/0.1.0-*.json).
    public static let compatiblePlanLines: [String: [String]] = ["0.2": ["0.1"]]

    /// The minor version lines whose plans kcdctl `running` applies, its own first; nil when `running` is not a
    /// semantic version (such a build applies only plans made by the very same version string).
    public static func planLines(appliedBy running: String) -> [String]? {
        guard let line = SemanticVersion(running)?.minorLine else { return nil }
        return [line] + (compatiblePlanLines[line] ?? []).filter { $0 != line }
    }

    /// Refuses a plan made by a kcdctl whose plans `running` does not apply, with the message
    /// docs/compatibility.md documents.
    public func checkCompatibility(kcdctl running: String) throws {
        guard kcdctlVersion != running else { return }
        let lines = Self.planLines(appliedBy: running)
        if let lines, let made = SemanticVersion(kcdctlVersion), lines.contains(made.minorLine) { return }
        let accepted = lines.map { $0.map { "\($0).x" }.joined(separator: " and ") } ?? running
        throw PlanDocumentError(
            "the plan was made by kcdctl \(Printable.quoted(kcdctlVersion)); kcdctl \(running) applies saved plans made by kcdctl \(accepted) only (docs/compatibility.md): make a new plan with this kcdctl"
        )
    }
}
