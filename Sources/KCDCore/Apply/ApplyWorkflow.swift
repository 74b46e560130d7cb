import Foundation

/// What `kcdctl apply` was asked to do, as its options say.
public struct ApplyRequest: Sendable {
    /// A plan saved by `kcdctl plan --out`.
    public var planFile: String?
    /// The manifest (-f); with a saved plan, it must be the one the plan was made from.
    public var manifestFile: String?
    /// --target: apply to these hosts only; nil for all.
    public var targets: [String]?
    /// --max-age, in seconds: the oldest saved plan applied.
    public var maxAge: Double
    /// --verify-key: the public key a saved plan must be signed with.
    public var verifyKey: String?
    public var autoApprove: Bool
    /// The kcdctl applying: a saved plan must be of a version it applies (docs/compatibility.md).
    public var kcdctlVersion: String

    public init(
        planFile: String?, manifestFile: String?, targets: [String]?, maxAge: Double, verifyKey: String?,
        autoApprove: Bool, kcdctlVersion: String = BuildInfo.current.version
    ) {
        (self.planFile, self.manifestFile, self.targets) = (planFile, manifestFile, targets)
        (self.maxAge, self.verifyKey, self.autoApprove) = (maxAge, verifyKey, autoApprove)
        self.kcdctlVersion = kcdctlVersion
    }

    /// A saved plan was reviewed: that was the approval (as `terraform apply PLAN`). Only a plan made here and
    /// now is confirmed at a prompt, unless --auto-approve.
    public var needsConfirmation: Bool { !autoApprove && planFile == nil }
}

/// The plan `apply` proposes to write, and the read it was computed from.
public struct ApplyProposal {
    public var plan: Plan
    /// The read made in this run that the plan was computed from; nil for a saved plan.
    public var snapshot: Reconciliation.Snapshot?
}

/// How an apply ended: the report of each host, the re-read after a complete apply, and the exit status.
public struct ApplyOutcome {
    public var report: ApplyReport
    /// The signal that asked apply to stop, when it stopped short.
    public var signal: Int32?
    /// After a complete apply: what still differs from the manifest on a re-read (empty: converged).
    public var remaining: Plan?

    public var status: ExitStatus {
        guard report.isComplete, let remaining else {
            if let signal, let status = ExitStatus(signal: signal) { return status }
            return report.stale.isEmpty ? .failure : .stale
        }
        return remaining.isEmpty ? .success : .failure
    }
}

/// `kcdctl apply` from its options to its outcome, every decision in between: which plan and manifest are
/// accepted, which read the plan is checked against, and what a re-read after it says. The command keeps only
/// the I/O: the connection, the prompt, signals and the terminal.
public struct ApplyWorkflow {
    public let request: ApplyRequest
    /// The saved plan, accepted (format, checksum, age, kcdctl version, signature, manifest).
    public let saved: PlanDocument?
    /// The manifest the plan is checked against and that names the directory: -f, or the one the plan embeds.
    public let manifest: Manifest
    public let manifestPath: String

    /// Everything about a saved plan is checked here, before a connection is made or a credential is read.
    public init(_ request: ApplyRequest, now: Date) throws {
        let saved = try request.planFile.map { path in
            let document = try PlanDocument.load(path, maxAge: request.maxAge, now: now)
            do {
                try document.checkCompatibility(kcdctl: request.kcdctlVersion)
            } catch let error as PlanDocumentError {
                throw UsageError("\(path): \(error); nothing was written")
            }
            return document
        }
        if let file = request.manifestFile {
            manifest = try ManifestLoader.load(path: file)
            manifestPath = file
            try saved?.checkManifest(manifest, path: file)
        } else if let saved {
            // The plan is self-contained: it is checked against, and connects as, the manifest inside it.
            manifestPath = saved.manifest.path
            manifest = try ManifestLoader.load(contents: Array(saved.manifest.content.utf8), path: manifestPath)
        } else {
            throw UsageError("name a saved plan (kcdctl apply PLAN.json) or a manifest (-f FILE)")
        }
        try PlanDocument.checkSignatures(
            saved, planPath: request.planFile, verifyKey: request.verifyKey,
            manifest: manifest, manifestPath: manifestPath)
        self.request = request
        self.saved = saved
    }

    /// The plan to apply in the directory this run reaches at `uri` and `baseDN`: the saved plan (if it was
    /// made for that directory), limited to the targets, or one computed from a read made now.
    /// - Parameter uri: the DC's URI when one was configured; nil when it was discovered (any writable DC of
    ///   the domain may apply a plan made on another: the base DN must match, and the preconditions are
    ///   re-read on the DC written).
    public func proposal(_ reconciliation: Reconciliation, uri: String?, baseDN: String) throws -> ApplyProposal {
        try reconciliation.manifest.checkTargets(request.targets)
        if let saved {
            try saved.checkDirectory(uri: uri, baseDN: baseDN)
            return ApplyProposal(plan: try saved.plan(limitedTo: request.targets))
        }
        let snapshot = try reconciliation.read()
        return ApplyProposal(plan: try reconciliation.plan(snapshot, targets: request.targets), snapshot: snapshot)
    }

    /// Applies the proposal, then re-reads the hosts to tell whether AD converged.
    ///
    /// - Parameters:
    ///   - audit: where each event is recorded; a failing append stops apply before the next request.
    ///   - stopSignal: the signal received since writing began, if any: apply stops before the next host.
    ///   - writesDone: called when the last write is answered, before the re-read (signals act as usual again).
    ///   - show: each event as it happens, before it is recorded.
    public func apply(
        _ proposal: ApplyProposal, _ reconciliation: Reconciliation, audit: AuditTrail?,
        stopSignal: () -> Int32? = { nil }, writesDone: () -> Void = {}, show: (ApplyEvent) -> Void
    ) throws -> ApplyOutcome {
        // A plan computed moments ago in this run, with no one asked to confirm, is checked against that read;
        // any other is checked against a new one.
        let readInThisRun = saved == nil && request.autoApprove ? proposal.snapshot : nil
        let report = try reconciliation.apply(
            proposal.plan, readInThisRun: readInThisRun, shouldStop: { stopSignal() != nil },
            record: { event in
                show(event)
                try audit?.record(event)
            })
        let signal = stopSignal()
        writesDone()
        guard report.isComplete else { return ApplyOutcome(report: report, signal: signal) }
        let remaining = try reconciliation.plan(targets: saved?.targets ?? request.targets)
        return ApplyOutcome(report: report, remaining: remaining)
    }
}

extension AuditRecord.Context {
    /// The context of an apply of `document` (the saved plan, or the plan made in this run) in the directory at
    /// `uri` and `baseDN`.
    public init(
        _ document: PlanDocument, uri: String, baseDN: String, identity: String, boundAs: String,
        kcdctlVersion: String = BuildInfo.current.version
    ) {
        self.init(
            identity: identity, boundAs: boundAs, directory: uri, baseDN: baseDN,
            manifestSHA256: document.manifest.sha256, planSHA256: document.sha256 ?? "", kcdctlVersion: kcdctlVersion)
    }
}
