import Foundation
import Testing

@testable import KCDCore

/// `kcdctl apply`'s decisions through the in-memory directory: which plan and manifest are accepted, which read
/// the plan is checked against, the re-read after it, and what the user is told.
@Suite struct ApplyWorkflows {
    static let uri = "ldaps://dc01.corp.example.com"
    static let baseDN = "DC=corp,DC=example,DC=com"

    /// A run in a temporary folder holding the manifest (validManifest: HV01, HV02) and a directory with both
    /// hosts, empty.
    struct Run {
        let folder: String
        let manifestPath: String
        let directory = MemoryDirectory([computer("HV01"), computer("HV02")])

        init(_ folder: String, yaml: String = validManifest) throws {
            self.folder = folder
            manifestPath = folder + "/m.yaml"
            try yaml.write(toFile: manifestPath, atomically: false, encoding: .utf8)
        }

        func request(
            plan: String? = nil, file: Bool = true, targets: [String]? = nil, autoApprove: Bool = true,
            verifyKey: String? = nil
        ) -> ApplyRequest {
            ApplyRequest(
                planFile: plan, manifestFile: file ? manifestPath : nil, targets: targets, maxAge: 3600,
                verifyKey: verifyKey, autoApprove: autoApprove)
        }

        func workflow(_ request: ApplyRequest, now: Date = Date()) throws -> ApplyWorkflow {
            try ApplyWorkflow(request, now: now)
        }

        func reconciliation(_ workflow: ApplyWorkflow) -> Reconciliation {
            Reconciliation(manifest: workflow.manifest, domain: "corp.example.com", directory: directory)
        }

        /// Proposal and apply; `during` sees each event (the lines the user reads are collected).
        func apply(
            _ request: ApplyRequest, stopSignal: () -> Int32? = { nil },
            during: (ApplyEvent) -> Void = { _ in }
        ) throws -> (ApplyOutcome, lines: [String]) {
            let workflow = try workflow(request)
            let reconciliation = reconciliation(workflow)
            let proposal = try workflow.proposal(reconciliation, uri: uri, baseDN: baseDN)
            var lines: [String] = []
            let outcome = try workflow.apply(proposal, reconciliation, audit: nil, stopSignal: stopSignal) { event in
                if let line = ApplyText.line(for: event) { lines.append(line) }
                during(event)
            }
            return (outcome, lines)
        }

        /// The plan for the directory as it is now, saved as `plan --out` saves it.
        func save(targets: [String]? = nil, createdAt: Date = Date()) throws -> String {
            let workflow = try workflow(request())
            let manifest = workflow.manifest
            let plan = try reconciliation(workflow).plan(targets: targets)
            let path = folder + "/plan.json"
            try PlanDocument(
                plan,
                .init(
                    kcdctlVersion: BuildInfo.current.version, createdAt: createdAt, manifestPath: manifestPath,
                    manifestSHA256: manifest.sha256 ?? "", manifestContent: manifest.source ?? "", uri: uri,
                    baseDN: baseDN,
                    targets: targets)
            ).encoded().write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
    }

    @Test func aPlanMadeHereIsAppliedAndTheReReadConfirmsIt() throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            let (outcome, lines) = try run.apply(run.request())
            #expect(outcome.status == .success && outcome.remaining?.isEmpty == true)
            #expect(
                lines == [
                    "HV01: applied (4 added, userAccountControl 0x1000 -> 0x1001000)\n",
                    "HV02: applied (4 added, userAccountControl 0x1000 -> 0x1001000)\n",
                ])
            let (out, err) = ApplyText.conclusion(outcome)
            #expect(err.isEmpty)
            #expect(
                out.hasPrefix(
                    "\nConverged: re-read 2 hosts; all match the manifest.\n\nKerberos tickets cached on these hosts still carry the old delegation: HV01, HV02.\n"
                ))
        }
    }

    /// With --auto-approve, the plan is checked against the read it was computed from moments ago: a change made
    /// since then is found by the directory at the write. A plan confirmed at a prompt (time passed) is checked
    /// against a new read before anything is written.
    @Test(arguments: [true, false])
    func whichReadThePlanIsCheckedAgainst(autoApprove: Bool) throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            let workflow = try run.workflow(run.request(autoApprove: autoApprove))
            let reconciliation = run.reconciliation(workflow)
            let proposal = try workflow.proposal(reconciliation, uri: Self.uri, baseDN: Self.baseDN)
            #expect((proposal.snapshot != nil) && workflow.request.needsConfirmation == !autoApprove)
            run.directory.objects["hv01"]?.userAccountControl = [.workstationTrustAccount, .dontExpirePassword]
            let outcome = try workflow.apply(proposal, reconciliation, audit: nil) { _ in }
            #expect(outcome.status == .stale && outcome.report.stale.map(\.change.host) == ["HV01"])
            #expect(
                outcome.report.stale[0].difference
                    == (autoApprove
                        ? "changed since the plan was made (uac)" : "userAccountControl is 0x11000, was 0x1000"))
            #expect(outcome.report.notAttempted.map(\.host) == ["HV02"])
            let err = ApplyText.conclusion(outcome).err
            #expect(
                err.contains("  stale:         HV01 (nothing written to it)\n  not attempted: HV02\nMake a new plan"))
        }
    }

    @Test func aSavedPlanIsAcceptedWithTheManifestInsideItAndResumable() throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            let plan = try run.save()
            let request = run.request(plan: plan, file: false, autoApprove: false)
            #expect(!request.needsConfirmation, "a saved plan was reviewed: no prompt")
            let staged = try run.apply(run.request(plan: plan, file: false, targets: ["hv02"]))
            #expect(staged.lines == ["HV02: applied (4 added, userAccountControl 0x1000 -> 0x1001000)\n"])
            #expect(staged.0.status == .success, "the re-read covers the targets only")
            let (outcome, lines) = try run.apply(request)
            #expect(
                lines == [
                    "HV02: already applied (it holds the plan's result)\n",
                    "HV01: applied (4 added, userAccountControl 0x1000 -> 0x1001000)\n",
                ])
            #expect(outcome.status == .success)
        }
    }

    @Test func aSavedPlanIsRefusedBeforeAnythingIsRead() throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            let plan = try run.save(createdAt: Date(timeIntervalSinceNow: -7200))
            let old = errorText { try run.workflow(run.request(plan: plan)) }
            #expect(
                old?.hasPrefix("\(plan): it was made 2 h ago, more than --max-age (60 min): make a new plan") == true,
                "\(old ?? "")")
            let now = Date(timeIntervalSinceNow: -7200)
            let other = folder + "/other.yaml"
            try validManifest.replacingOccurrences(of: "any-protocol", with: "kerberos-only")
                .write(toFile: other, atomically: false, encoding: .utf8)
            var request = run.request(plan: plan)
            request.manifestFile = other
            #expect(
                errorText { try run.workflow(request, now: now) }?
                    .hasPrefix("\(other) is not the manifest the plan was made from") == true)
            let workflow = try run.workflow(run.request(plan: plan), now: now)
            #expect(
                errorText {
                    try workflow.proposal(run.reconciliation(workflow), uri: "ldaps://dc02", baseDN: Self.baseDN)
                }
                    == "the plan is for \(Self.uri) (\(Self.baseDN)), not ldaps://dc02 (\(Self.baseDN)); nothing was written"
            )
            #expect(
                errorText { try run.workflow(run.request(plan: folder + "/none.json")) }?
                    .hasPrefix("saved plan \(folder)/none.json cannot be read") == true)
        }
    }

    @Test func signaturesAreRequiredWhereAKeyIsNamed() throws {
        try withTemporaryDirectory { folder in
            let strict = try Run(folder, yaml: validManifest + "\nplans: { verifyKey: ci.pub }\n")
            #expect(
                errorText { try strict.workflow(strict.request()) }
                    == "plans.verifyKey in \(strict.manifestPath): apply takes only signed saved plans (kcdctl plan --out PLAN.json --sign-key KEY, then kcdctl apply PLAN.json); nothing was written"
            )
            let run = try Run(folder)
            #expect(
                errorText { try run.workflow(run.request(verifyKey: "ci.pub")) }
                    == "--verify-key checks a saved plan: run kcdctl apply PLAN.json")
            let key = PlanSigningKey()
            try key.verifyingKey.pem.write(toFile: folder + "/ci.pub", atomically: false, encoding: .utf8)
            let plan = try run.save()
            #expect(
                errorText { try run.workflow(run.request(plan: plan, verifyKey: folder + "/ci.pub")) }
                    == "\(plan): the plan is not signed, and a signature by \(key.verifyingKey.fingerprint) is required; nothing was written"
            )
            try "not a key".write(toFile: folder + "/bad.pub", atomically: false, encoding: .utf8)
            #expect(
                errorText { try run.workflow(run.request(plan: plan, verifyKey: folder + "/bad.pub")) }?
                    .hasPrefix("\(folder)/bad.pub: ") == true)
        }
    }

    @Test func aChangeBySomeoneElseDuringTheApplyIsFoundByTheReRead() throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            let (outcome, _) = try run.apply(
                run.request(),
                during: { event in
                    if case .applied = event { run.directory.objects["hv01"]?.allowedToDelegateTo.append("cifs/ROGUE") }
                })
            #expect(outcome.report.isComplete && outcome.status == .failure)
            let (out, err) = ApplyText.conclusion(outcome)
            #expect(
                err.hasPrefix(
                    "kcdctl: error: applied, but AD still differs from the manifest (changed by someone else meanwhile, or the manifest changed since the plan):\n~ HV01"
                ))
            #expect(out.contains("still carry the old delegation: HV01, HV02."))
        }
    }

    @Test func aLostAnswerWithoutAWayBackIsUnknownAndStopsApply() throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            run.directory.loseAnswer = ["hv01"]
            run.directory.reconnectFails = true
            let (outcome, lines) = try run.apply(run.request())
            #expect(lines.isEmpty && outcome.status == .failure && outcome.remaining == nil)
            let err = ApplyText.conclusion(outcome).err
            #expect(err.hasPrefix("kcdctl: error: HV01: outcome unknown: "))
            #expect(
                err.contains(
                    """
                      applied:       none
                      unknown:       HV01 (the DC may have applied it: run kcdctl plan to see)
                      not attempted: HV02
                    Fix the cause and run apply again: it changes only what is still different.

                    Kerberos tickets cached on these hosts still carry the old delegation: HV01.
                    """))
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalStopsApplyAfterTheHostInFlight(signal: Int32) throws {
        try withTemporaryDirectory { folder in
            let run = try Run(folder)
            var received: Int32?
            let (outcome, _) = try run.apply(
                run.request(), stopSignal: { received },
                during: { event in
                    if case .applied = event { received = signal }
                })
            #expect(outcome.status == ExitStatus(signal: signal) && outcome.report.interrupted)
            let what = signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"
            #expect(
                ApplyText.conclusion(outcome).err.hasPrefix(
                    """
                    kcdctl: \(what): stopped after the host in flight
                      applied:       HV01
                      not attempted: HV02

                    """))
            #expect(run.directory.writes.map(\.host) == ["HV01"])
        }
    }

    @Test func maxAgeDurations() {
        #expect(PlanDocument.seconds("24h") == 86400 && PlanDocument.seconds("90m") == 5400)
        #expect(PlanDocument.seconds("3600s") == 3600 && PlanDocument.seconds("2d") == 172_800)
        #expect(PlanDocument.seconds("42") == 42 && PlanDocument.seconds("0s") == 0)
        #expect(
            PlanDocument.seconds("-1h") == nil && PlanDocument.seconds("1w") == nil && PlanDocument.seconds("") == nil)
    }
}
