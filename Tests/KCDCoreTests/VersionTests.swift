import Foundation
import Testing

@testable import KCDCore

/// kcdctl's identity (BuildInfo, the stamp make writes) and the versions a saved plan is applied by.
@Suite struct Versions {
    @Test(arguments: [
        ("0.2.0", "0.2"), ("0.2.0-dev", "0.2"), ("0.2.0-dev+g2189608-dirty", "0.2"), ("0.2.0-3-g1a2b3c4-dirty", "0.2"),
        ("1.12.3", "1.12"), ("10.0.0+build.7", "10.0"), ("0.0.0-rc.1", "0.0"),
    ])
    func aSemanticVersionBelongsToItsMinorLine(text: String, line: String) throws {
        let version = try #require(SemanticVersion(text))
        #expect(version.minorLine == line && version.description == text)
    }

    @Test(arguments: [
        "", "test", "9.9", "v0.2.0", "0.2", "0.2.0.1", "01.2.3", "0.02.3", "0.2.-1", "0.2.0-", "0.2.0+", "0.2.0-a..b",
        "0.2.0-ä", "0.2.0 ", " 0.2.0", "2189608", "0.2.0-a_b", "1234567890.0.0",
    ])
    func anythingElseIsNot(text: String) {
        #expect(SemanticVersion(text) == nil)
    }

    @Test func theVersionLineSaysVersionCommitAndDate() {
        #expect(
            BuildInfo(version: "0.2.0", commit: String(repeating: "a", count: 40), date: "2026-11-26T12:42:52Z")
                .versionLine
                == "kcdctl 0.2.0 (commit aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, built 2026-11-26T12:42:52Z)")
        #expect(BuildInfo.unstamped.versionLine == "kcdctl 0.2.0-dev (commit unknown, built unknown)")
        // Whatever make stamped (or nothing): a semantic version, which the plan rule can compare.
        #expect(SemanticVersion(BuildInfo.current.version) != nil)
        #expect(SemanticVersion(BuildInfo.unstamped.version)?.prerelease == "dev")
    }

    static func plan(by version: String) -> PlanDocument {
        PlanDocument(
            Plan(changes: [], unchanged: [], warnings: []),
            .init(
                kcdctlVersion: version, createdAt: Date(timeIntervalSince1970: 0), manifestPath: "m.yaml",
                manifestSHA256: Digest.sha256(""), manifestContent: "", uri: "ldaps://dc", baseDN: "DC=x"))
    }

    @Test(
        arguments: [
            // Its own minor line, whatever the patch, pre-release or build.
            ("0.2.0", "0.2.0", nil), ("0.2.0", "0.2.7", nil), ("0.2.7", "0.2.0-dev", nil),
            ("0.2.0-dev+g1a2b3c4", "0.2.0", nil), ("1.4.0", "1.4.2", nil),
            // 0.2 applies 0.1's plans (proven by Tests/fixtures/plans/0.1.0-*.json); not the other way round.
            ("0.2.0", "0.1.0", nil),
            ("0.1.0", "0.2.0", "kcdctl '0.2.0'; kcdctl 0.1.0 applies saved plans made by kcdctl 0.1.x only"),
            ("0.2.0", "0.3.0", "kcdctl '0.3.0'; kcdctl 0.2.0 applies saved plans made by kcdctl 0.2.x and 0.1.x only"),
            ("0.3.0", "0.2.9", "kcdctl '0.2.9'; kcdctl 0.3.0 applies saved plans made by kcdctl 0.3.x only"),
            ("1.0.0", "0.2.0", "kcdctl '0.2.0'; kcdctl 1.0.0 applies saved plans made by kcdctl 1.0.x only"),
            ("2.0.0", "1.0.0", "kcdctl '1.0.0'; kcdctl 2.0.0 applies saved plans made by kcdctl 2.0.x only"),
            // A plan's version that is not a semantic version is refused (shown escaped); an odd build applies only
            // its very own plans.
            ("0.2.0", "test", "kcdctl 'test'; kcdctl 0.2.0 applies saved plans made by kcdctl 0.2.x and 0.1.x only"),
            (
                "0.2.0", "0.2.0\u{1B}[2J",
                "kcdctl '0.2.0\\x1b[2J'; kcdctl 0.2.0 applies saved plans made by kcdctl 0.2.x and 0.1.x only"
            ),
            ("odd", "odd", nil),
            ("odd", "0.2.0", "kcdctl '0.2.0'; kcdctl odd applies saved plans made by kcdctl odd only"),
        ] as [(String, String, String?)])
    func whichKcdctlAppliesWhichPlan(running: String, made: String, refusal: String?) {
        #expect(
            failure(try Self.plan(by: made).checkCompatibility(kcdctl: running))
                == refusal.map {
                    "the plan was made by \($0) (docs/compatibility.md): make a new plan with this kcdctl"
                })
    }

    /// `apply PLAN.json` checks the version after the file (format, checksum, age) and before anything else.
    @Test func applyRefusesAPlanOfAnotherMinorVersionNamingTheFile() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/plan.json"
            try Self.plan(by: "0.9.1").encoded().write(toFile: path, atomically: false, encoding: .utf8)
            let request = ApplyRequest(
                planFile: path, manifestFile: nil, targets: nil, maxAge: .greatestFiniteMagnitude, verifyKey: nil,
                autoApprove: false, kcdctlVersion: "0.2.0")
            #expect(
                failure(try ApplyWorkflow(request, now: Date(timeIntervalSince1970: 0)))
                    == "\(path): the plan was made by kcdctl '0.9.1'; kcdctl 0.2.0 applies saved plans made by kcdctl 0.2.x and 0.1.x only (docs/compatibility.md): make a new plan with this kcdctl; nothing was written"
            )
        }
    }
}
