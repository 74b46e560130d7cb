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

    /// Reads every managed host and storage server (in batches) and the forest's SPN mappings, and diffs.
    /// - Parameter targets: limit the plan to these hosts (any case); nil for all.
    public func plan(targets: [String]? = nil) throws -> Plan {
        let observed = try directory.computers(named: manifest.accountNames)
        return try Reconciler.plan(manifest, domain: domain, observed: observed, spnMappings: try directory.spnMappings(),
                                   targets: targets.map { Set($0.map { $0.lowercased() }) })
    }

    /// Applies exactly `plan`, which may have been computed long before.
    ///
    /// First every planned host is read again (one batched read): if any no longer looks as it did when the
    /// plan was made, nothing is written and the report names the stale hosts and how they differ. Then each
    /// host's change goes out as one request, in plan order; its value-level operations are preconditions
    /// that the directory checks atomically, so a change made in the meantime makes that host's request
    /// fail whole (`ChangedMeanwhile`). Applying stops at the first stale or failing host.
    ///
    /// - Parameter recheck: read the planned hosts again first. Only a plan computed moments before in the
    ///   same run, with nobody asked to confirm in between, may skip that: the modifies' own preconditions
    ///   still guard it.
    public func apply(_ plan: Plan, recheck: Bool = true, events: (ApplyEvent) -> Void = { _ in }) throws -> ApplyReport {
        var report = ApplyReport()
        let current = recheck ? try directory.computers(named: plan.changes.map(\.host)) : plan.changes.map(\.observed)
        var byName: [String: ObservedComputer] = [:]
        for computer in current { byName[computer.name.lowercased()] = computer }
        for change in plan.changes {
            let difference = byName[change.host.lowercased()].map { change.staleness(now: $0) }
                ?? "the computer object no longer exists"
            if let difference {
                report.stale.append(.init(change: change, difference: difference))
                events(.stale(change, difference))
            }
        }
        guard report.stale.isEmpty else {
            report.notAttempted = plan.changes.filter { change in !report.stale.contains { $0.change.host == change.host } }
            return report
        }
        for (i, change) in plan.changes.enumerated() {
            do {
                try directory.apply(change)
                report.applied.append(change)
                events(.applied(change, done: i + 1, of: plan.changes.count))
            } catch let error as ChangedMeanwhile {
                report.stale.append(.init(change: change, difference: error.description))
                events(.stale(change, error.description))
                report.notAttempted = Array(plan.changes[(i + 1)...])
                break
            } catch {
                report.failure = .init(change: change, error: error)
                events(.failed(change, error))
                report.notAttempted = Array(plan.changes[(i + 1)...])
                break
            }
        }
        return report
    }
}

public enum ApplyEvent {
    case applied(HostChange, done: Int, of: Int)
    case stale(HostChange, String)
    case failed(HostChange, any Error)
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
    public var applied: [HostChange] = []
    public var stale: [Stale] = []
    public var failure: Failure?
    public var notAttempted: [HostChange] = []

    public var isComplete: Bool { stale.isEmpty && failure == nil }

    /// Hosts whose delegation changed: their Kerberos tickets must be purged.
    public var hostsToPurge: [String] { applied.map(\.host) }
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
