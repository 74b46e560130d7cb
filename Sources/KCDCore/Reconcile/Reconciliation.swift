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
    public func plan() throws -> Plan {
        let observed = try directory.computers(named: manifest.accountNames)
        return try Reconciler.plan(manifest, domain: domain, observed: observed, spnMappings: try directory.spnMappings())
    }

    /// Applies each host's change as one request, in plan order, and stops at the first failure:
    /// the report says which hosts were written, which failed and which were not attempted.
    public func apply(_ plan: Plan, progress: (HostChange) -> Void = { _ in }) -> ApplyReport {
        var report = ApplyReport()
        for (i, change) in plan.changes.enumerated() {
            do {
                try directory.apply(change)
                report.applied.append(change)
                progress(change)
            } catch {
                report.failure = .init(change: change, error: error)
                report.notAttempted = Array(plan.changes[(i + 1)...])
                break
            }
        }
        return report
    }
}

public struct ApplyReport {
    public struct Failure {
        public var change: HostChange
        public var error: any Error
    }
    public var applied: [HostChange] = []
    public var failure: Failure?
    public var notAttempted: [HostChange] = []

    /// Hosts whose delegation changed: their Kerberos tickets must be purged.
    public var hostsToPurge: [String] { applied.map(\.host) }
}
