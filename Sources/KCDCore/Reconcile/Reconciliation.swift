/// The loop end to end, through any `Directory`: read → plan, and apply → re-read → confirm.
public struct Reconciliation {
    public let manifest: Manifest
    /// DNS suffix for FQDN forms.
    public let domain: String
    public let directory: any Directory

    public init(manifest: Manifest, domain: String, directory: any Directory) {
        self.manifest = manifest
        self.domain = domain
        self.directory = directory
    }

    /// What one read of the directory saw: every managed host and storage server, and the SPN mappings.
    public struct Snapshot: Sendable {
        public var computers: [ObservedComputer]
        public var spnMappings: SPNMappings
        /// Computers outside the manifest that still delegate to its hosts (e.g. a host dropped from it).
        public var outsiders: [ObservedComputer]
        /// Who the SIDs in the managed hosts' resource-based descriptors belong to (the managed hosts' own aside).
        public var sidOwners: [SecurityIdentifier: SIDOwner]
        public init(
            computers: [ObservedComputer], spnMappings: SPNMappings, outsiders: [ObservedComputer] = [],
            sidOwners: [SecurityIdentifier: SIDOwner] = [:]
        ) {
            self.computers = computers
            self.spnMappings = spnMappings
            self.outsiders = outsiders
            self.sidOwners = sidOwners
        }
    }

    /// Reads every managed host and storage server (in batches), the forest's SPN mappings, and the computers
    /// outside the manifest that delegate to the first service of a managed host (short name).
    public func read() throws -> Snapshot {
        let probes = manifest.clusters.flatMap { cluster in
            cluster.hosts.map { SPN(service: cluster.services[0], host: $0).value }
        }
        let managed = Set(manifest.accountNames.map(ComputerName.init))
        let outsiders = try directory.delegators(to: uniqueNames(probes)).filter { !managed.contains(ComputerName($0)) }
        let computers = try directory.computers(named: manifest.accountNames)
        return Snapshot(
            computers: computers, spnMappings: try directory.spnMappings(),
            outsiders: outsiders.isEmpty ? [] : try directory.computers(named: outsiders),
            sidOwners: try sidOwners(computers))
    }

    /// Who the SIDs of kcdctl-form grants in the managed hosts' descriptors are, those of managed hosts aside:
    /// whether each is a computer decides whether `prune: managed` removes it, and its name is shown.
    func sidOwners(_ computers: [ObservedComputer]) throws -> [SecurityIdentifier: SIDOwner] {
        let own = Set(computers.compactMap(\.objectSid))
        var sids: [SecurityIdentifier] = []
        var seen = own
        for computer in computers {
            guard let bytes = computer.allowedToActOnBehalf,
                let descriptor = try? SecurityDescriptor(decoding: bytes)
            else { continue }
            sids += descriptor.kcdctlGrants.filter { seen.insert($0).inserted }
        }
        return sids.isEmpty ? [:] : try directory.accounts(withSIDs: sids)
    }

    /// Reads and diffs.
    /// - Parameter targets: limit the plan to these hosts (any case); nil for all.
    public func plan(targets: [String]? = nil) throws -> Plan {
        try plan(read(), targets: targets)
    }

    public func plan(_ snapshot: Snapshot, targets: [String]? = nil) throws -> Plan {
        try Reconciler.plan(
            manifest, domain: domain, observed: snapshot.computers, spnMappings: snapshot.spnMappings,
            targets: targets.map { Set($0.map(ComputerName.init)) }, outsiders: snapshot.outsiders,
            sidOwners: snapshot.sidOwners)
    }

    /// Applies exactly `plan`, which may have been computed long before, or saved and edited since.
    ///
    /// First the manifest's accounts are read (unless `readInThisRun` is the read the plan was computed from
    /// moments ago). For a plan computed earlier, every planned host must still look as it did when the plan
    /// was made, or nothing is written and the report names the stale hosts and how they differ. Then the
    /// whole plan is checked against the `WriteInvariant`: a plan that would write anything the manifest
    /// does not declare is refused whole (`InvariantViolation`) before any write. Then each host's
    /// change goes out as one request, in plan order; its value-level operations are preconditions that the
    /// directory checks atomically, so a change made in the meantime makes that host's request fail whole
    /// (`ChangedMeanwhile`). A request whose answer is lost is read back over a new connection and reported
    /// as what that read shows, or as unknown. Applying stops at the first stale, failing or unknown host,
    /// when `record` (the audit trail) fails, or when `shouldStop` says so (a signal) between two hosts.
    ///
    /// - Parameter record: called with `.intent` before each request and with its outcome after it; when it
    ///   throws for an intent, that request is not sent.
    public func apply(
        _ plan: Plan, readInThisRun: Snapshot? = nil, shouldStop: () -> Bool = { false },
        record: (ApplyEvent) throws -> Void = { _ in }
    ) throws -> ApplyReport {
        var report = ApplyReport()
        let computers = try readInThisRun?.computers ?? directory.computers(named: manifest.accountNames)
        let revokes = plan.changes.contains { !($0.resourceBased?.revoke.isEmpty ?? true) }
        let owners = try readInThisRun?.sidOwners ?? (revokes ? sidOwners(computers) : [:])
        let invariant = WriteInvariant(manifest: manifest, domain: domain, observed: computers, sidOwners: owners)
        func refuse(_ check: () throws -> Void) throws {
            do {
                try check()
            } catch let violation as InvariantViolation {
                if let change = plan.changes.first(where: { $0.host == violation.host }) {
                    try? record(.refused(change, violation))
                }
                throw violation
            }
        }
        try refuse { try invariant.checkTargets(plan) }
        var changes = plan.changes
        if readInThisRun == nil {
            changes = setAsideApplied(changes, now: computers.indexedByName(), into: &report, record: record)
            guard report.stale.isEmpty else { return report }
        }
        var remaining = plan
        remaining.changes = changes
        try refuse { try invariant.check(remaining) }
        // The value budget against this run's read (a saved plan carries no SPNs): refused before any write.
        let limit = manifest.directory.valueLimit
        let excesses = ValueBudget.excesses(changes, now: computers.indexedByName(), limit: limit)
        guard excesses.isEmpty else { throw ValueBudgetExceeded(excesses: excesses, limit: limit) }
        send(changes, into: &report, shouldStop: shouldStop, record: record)
        return report
    }

    /// The staleness pass of a plan computed earlier, against `now`, the read made in this run: a host that
    /// holds exactly what the plan would make of it was applied before (a staged rollout with --target, or a
    /// run that stopped) and is set aside as done; a host that differs otherwise from what the plan saw, or
    /// is gone, is stale, and then nothing is sent: the hosts neither done nor stale are not attempted.
    /// - Returns: the changes still to send.
    func setAsideApplied(
        _ changes: [HostChange], now: [ComputerName: ObservedComputer], into report: inout ApplyReport,
        record: (ApplyEvent) throws -> Void
    ) -> [HostChange] {
        var remaining: [HostChange] = []
        for change in changes {
            let current = now[ComputerName(change.host)]
            if let current, change.staleness(now: current) != nil, change.isExactResult(current) {
                report.alreadyApplied.append(change)
                try? record(.alreadyApplied(change))
                continue
            }
            remaining.append(change)
            let difference = current.map { change.staleness(now: $0) } ?? "the computer object no longer exists"
            if let difference {
                report.stale.append(.init(change: change, difference: difference))
                try? record(.stale(change, difference))
            }
        }
        if !report.stale.isEmpty {
            let stale = Set(report.stale.map { ComputerName($0.change.host) })
            report.notAttempted = remaining.filter { !stale.contains(ComputerName($0.host)) }
        }
        return remaining
    }

    /// Sends each host's request in order, recording the intent before it and the outcome after it; stops at
    /// the first host that does not end applied, when the audit trail fails, or when `shouldStop` says so.
    func send(
        _ changes: [HostChange], into report: inout ApplyReport, shouldStop: () -> Bool,
        record: (ApplyEvent) throws -> Void
    ) {
        for (i, change) in changes.enumerated() {
            let rest = Array(changes[(i + 1)...])
            if shouldStop() {
                report.interrupted = true
                report.notAttempted = [change] + rest
                return
            }
            do {
                try record(.intent(change))
            } catch {
                report.auditFailure = error
                report.notAttempted = [change] + rest
                return
            }
            let outcome: ApplyEvent
            do {
                try directory.apply(change)
                report.applied.append(change)
                outcome = .applied(change, done: i + 1, of: changes.count, confirmedByReread: false)
            } catch let error as ChangedMeanwhile {
                report.stale.append(.init(change: change, difference: error.description))
                outcome = .stale(change, error.description)
            } catch let error as OutcomeUnknown {
                outcome = readBack(change, after: error, done: i + 1, of: changes.count, into: &report)
            } catch {
                report.failure = .init(change: change, error: error)
                outcome = .failed(change, error)
            }
            do {
                try record(outcome)
            } catch {
                report.auditFailure = error
            }
            if !report.isComplete {
                report.notAttempted = rest
                return
            }
        }
    }

    /// After a lost answer: a new connection, the object read again, and the outcome it shows. The change
    /// is all or nothing in the directory, so the object holds either the planned state or the one before it;
    /// anything else (or no read) leaves the outcome unknown.
    func readBack(
        _ change: HostChange, after lost: OutcomeUnknown, done: Int, of total: Int, into report: inout ApplyReport
    ) -> ApplyEvent {
        let now: ObservedComputer?
        do {
            try directory.reconnect()
            let name = ComputerName(change.host)
            now = try directory.computers(named: [change.host]).first { ComputerName($0.name) == name }
        } catch {
            let unknown = ApplyReport.Unknown(
                change: change, cause: lost.cause, detail: "\(lost.cause); reading it back failed: \(error)")
            report.unknown.append(unknown)
            return .unknown(change, unknown.detail)
        }
        if let now, change.isApplied(in: now) {
            report.applied.append(change)
            report.answersLost.append(change.host)
            return .applied(change, done: done, of: total, confirmedByReread: true)
        }
        if let now, change.staleness(now: now) == nil {
            report.failure = .init(change: change, error: lost.cause)
            return .failed(change, lost.cause)
        }
        let unknown = ApplyReport.Unknown(
            change: change, cause: lost.cause,
            detail:
                "\(lost.cause); read back, the object holds neither the planned state nor the one before it (changed by someone else too)"
        )
        report.unknown.append(unknown)
        return .unknown(change, unknown.detail)
    }
}

extension HostChange {
    /// Whether `now` is exactly what this change makes of the object it was computed against: the values
    /// (as stored) less the removed, plus the added, and the new userAccountControl.
    public func isExactResult(_ now: ObservedComputer) -> Bool {
        let removed = Set(remove.map(\.value))
        let result = Set(observed.allowedToDelegateTo.filter { !removed.contains($0) } + add.map(\.value))
        return now.dn == dn && Set(now.allowedToDelegateTo) == result && now.allowedToDelegateTo.count == result.count
            && now.userAccountControl == (userAccountControl?.to ?? observed.userAccountControl)
            && (resourceBased.map { now.allowedToActOnBehalf == $0.to } ?? true)
    }

    /// Whether `now` holds what this change writes: every added value, none of the removed ones, and the new
    /// userAccountControl.
    public func isApplied(in now: ObservedComputer) -> Bool {
        let present = Set(now.allowedToDelegateTo.map(SPN.init))
        return add.allSatisfy(present.contains) && !remove.contains(where: present.contains)
            && (userAccountControl.map { $0.to == now.userAccountControl } ?? true)
            && (resourceBased.map { $0.isApplied(in: now) } ?? true)
    }
}

public enum ApplyEvent {
    /// About to send the host's request (the audit trail records it first).
    case intent(HostChange)
    case applied(HostChange, done: Int, of: Int, confirmedByReread: Bool)
    case stale(HostChange, String)
    case failed(HostChange, any Error)
    /// The request may or may not have been applied.
    case unknown(HostChange, String)
    /// The plan leaves the manifest's declared state; nothing of it is written.
    case refused(HostChange, InvariantViolation)
    /// A saved plan's host already holds exactly the plan's result: nothing to send.
    case alreadyApplied(HostChange)
}

public struct ApplyReport {
    public struct Stale {
        public var change: HostChange
        /// How the host differs from what the plan saw.
        public var difference: String
    }
    public struct Failure {
        public var change: HostChange
        public var error: any Error
    }
    public struct Unknown {
        public var change: HostChange
        public var cause: any Error
        public var detail: String
    }
    public var applied: [HostChange] = []
    /// Hosts of a saved plan that already held its result (applied earlier, e.g. with --target).
    public var alreadyApplied: [HostChange] = []
    public var stale: [Stale] = []
    /// A request the directory refused: nothing was written to that host.
    public var failure: Failure?
    /// Requests whose outcome is unknown: the directory may have applied them.
    public var unknown: [Unknown] = []
    /// Hosts applied whose answer was lost, confirmed by reading them back.
    public var answersLost: [String] = []
    public var notAttempted: [HostChange] = []
    /// The audit trail could not be written: applying stopped.
    public var auditFailure: (any Error)?
    /// A signal asked to stop: applying stopped between two hosts.
    public var interrupted = false

    public init() {}

    public var isComplete: Bool {
        stale.isEmpty && failure == nil && unknown.isEmpty && auditFailure == nil && !interrupted
    }

    /// Hosts whose delegation changed or may have changed: their Kerberos tickets must be purged.
    public var hostsToPurge: [String] { applied.map(\.host) + unknown.map(\.change.host) }
}

/// The directory refused a host's change because the object no longer holds what the change was
/// computed against (a value to delete is gone, a value to add is there, userAccountControl differs).
public struct ChangedMeanwhile: Error, CustomStringConvertible {
    public var host: String
    public var detail: String
    public init(host: String, detail: String) {
        self.host = host
        self.detail = detail
    }
    public var description: String { "changed since the plan was made (\(detail))" }
}

/// A read-only domain controller refused a host's change by referring it to a writable DC (LDAP result 10,
/// referral): a definite refusal, nothing was written. Not an unknown outcome.
public struct ReadOnlyRefusal: Error, Equatable, CustomStringConvertible {
    public var host: String
    /// The DC that refused.
    public var domainController: String
    /// Where it referred the write, as it sent them (hostile: shown escaped).
    public var referrals: [String]

    public init(host: String, domainController: String, referrals: [String]) {
        (self.host, self.domainController, self.referrals) = (host, domainController, referrals)
    }

    public var description: String {
        let to =
            referrals.isEmpty
            ? "another DC" : referrals.prefix(4).map { Printable.quoted($0, limit: 256) }.joined(separator: ", ")
        return "\(domainController) is read-only: it referred the write to \(to); nothing was written"
    }
}
