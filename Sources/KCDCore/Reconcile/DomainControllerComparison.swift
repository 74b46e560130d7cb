/// What one DC showed, for comparing the domain's DCs (`drift --all-dcs`, `doctor`).
public struct DomainControllerReading: Sendable {
    public var domainController: ReplicaDomainController
    /// Its read; nil when it could not be reached, bound or read.
    public var snapshot: Reconciliation.Snapshot?
    /// Why it could not be read.
    public var failure: String?

    public init(_ domainController: ReplicaDomainController, snapshot: Reconciliation.Snapshot) {
        (self.domainController, self.snapshot, failure) = (domainController, snapshot, nil)
    }

    public init(_ domainController: ReplicaDomainController, failure: String) {
        (self.domainController, snapshot, self.failure) = (domainController, nil, failure)
    }
}

/// The manifest compared with every DC read, and the DCs with each other. Replication makes the DCs agree in
/// the end; until it has (or when it is broken), a host that gets its tickets from a lagging DC still fails
/// with 0x8009030E although the DC kcdctl read matches the manifest. So a host the DCs disagree about is
/// reported apart from drift, which is what the whole domain holds and the manifest does not declare.
public struct DomainControllerComparison: Sendable, Equatable {
    /// One DC's outcome.
    public struct Outcome: Sendable, Equatable {
        public var domainController: ReplicaDomainController
        /// What `apply` would change if it wrote to this DC (for the hosts it holds); nil when it was not read.
        public var plan: Plan?
        /// Managed hosts that have no computer object on this DC.
        public var missing: [String]
        public var failure: String?
    }

    /// What one DC holds of a host the DCs disagree about.
    public struct HostState: Sendable, Equatable {
        public var domainController: ReplicaDomainController
        /// False when the DC has no computer object of that name.
        public var exists: Bool
        /// Whether it holds exactly what the manifest declares for the host.
        public var matchesManifest: Bool
        /// Values of `msDS-AllowedToDelegateTo` another DC holds and this one does not, sorted.
        public var lacks: [String]
        /// Its delegation bits of userAccountControl.
        public var delegationFlags: UserAccountControl
        /// SIDs another DC's resource-based descriptor grants and this one's does not, sorted.
        public var lacksGrants: [String] = []
    }

    /// A host whose delegation is not the same on every DC read; its states in the order the DCs were read.
    public struct Disagreement: Sendable, Equatable {
        public var host: String
        public var states: [HostState]
    }

    /// Every DC, the one read first (the session's) first.
    public var domainControllers: [Outcome]
    public var disagreements: [Disagreement]
    /// The drift of the whole domain: the first DC's plan for the hosts every DC read agrees about.
    public var drift: Plan
    /// Managed hosts no DC read holds: no plan can be made for them.
    public var missingEverywhere: MissingHostsError?

    /// Drift first (it is what `apply` fixes), then DCs that disagree.
    public var status: ExitStatus {
        !drift.isEmpty ? .differs : disagreements.isEmpty ? .success : .replicationLagging
    }

    /// Compares `readings`, of which the first must have been read (the DC the session is bound to).
    /// - Parameter targets: limit everything to these hosts; nil for all.
    public static func compare(
        _ readings: [DomainControllerReading], manifest: Manifest, domain: String, targets: Set<ComputerName>? = nil
    ) throws -> DomainControllerComparison {
        guard let reference = readings.first?.snapshot else {
            throw ComparisonError("the first DC was not read")
        }
        let hosts = manifest.hosts.map(ComputerName.init).filter { targets?.contains($0) ?? true }
        var outcomes: [Outcome] = []
        for (i, reading) in readings.enumerated() {
            guard let snapshot = reading.snapshot else {
                outcomes.append(
                    Outcome(
                        domainController: reading.domainController, plan: nil, missing: [],
                        failure: reading.failure ?? "not read"))
                continue
            }
            do {
                let (plan, missing) = try plan(manifest, domain: domain, snapshot, hosts: hosts)
                outcomes.append(
                    Outcome(domainController: reading.domainController, plan: plan, missing: missing, failure: nil))
            } catch  where i > 0 {
                // Another DC whose read cannot be planned (a corrupt descriptor, the value budget) is named, not
                // the end of the comparison: the DC read first decides whether the run fails.
                outcomes.append(
                    Outcome(
                        domainController: reading.domainController, plan: nil, missing: [],
                        failure: "its read cannot be planned: \(error)"))
            }
        }
        let read = zip(readings, outcomes).compactMap { reading, outcome in
            outcome.plan.map { plan in
                (
                    dc: reading.domainController, computers: reading.snapshot!.computers.indexedByName(), plan: plan,
                    changed: Set(plan.changes.map { ComputerName($0.host) }),
                    unchanged: Set(plan.unchanged.map(ComputerName.init))
                )
            }
        }
        let disagreements = hosts.compactMap { host in
            disagreement(about: host, read.map { ($0.dc, $0.computers[host], $0.unchanged.contains(host)) })
        }
        // A disputed host that every DC holding it would change is drift as well: apply has to fix it anyway.
        let disputed = Set(
            disagreements.map { ComputerName($0.host) }.filter { host in
                !read.allSatisfy { $0.computers[host] == nil || $0.changed.contains(host) }
            })
        var drift = outcomes[0].plan!
        drift.changes.removeAll { disputed.contains(ComputerName($0.host)) }
        drift.unchanged.removeAll { disputed.contains(ComputerName($0)) }
        let missingEverywhere = try self.missingEverywhere(
            manifest, domain: domain, reference, outcomes.filter { $0.plan != nil }.map(\.missing))
        return DomainControllerComparison(
            domainControllers: outcomes, disagreements: disagreements, drift: drift,
            missingEverywhere: missingEverywhere)
    }

    /// A DC's plan for the hosts it holds, and the hosts it does not.
    static func plan(_ manifest: Manifest, domain: String, _ snapshot: Reconciliation.Snapshot, hosts: [ComputerName])
        throws -> (Plan, missing: [String])
    {
        let held = snapshot.computers.indexedByName()
        let missing = hosts.filter { held[$0] == nil }
        let plan = try Reconciler.plan(
            manifest, domain: domain, observed: snapshot.computers, spnMappings: snapshot.spnMappings,
            targets: Set(hosts).subtracting(missing), outsiders: snapshot.outsiders, sidOwners: snapshot.sidOwners)
        return (plan, missing.map(\.value))
    }

    /// The hosts no DC read holds, as the reconciler names them (with their clusters), or nil.
    static func missingEverywhere(
        _ manifest: Manifest, domain: String, _ reference: Reconciliation.Snapshot, _ missing: [[String]]
    ) throws -> MissingHostsError? {
        var everywhere = Set((missing.first ?? []).map(ComputerName.init))
        for list in missing.dropFirst() { everywhere.formIntersection(list.map(ComputerName.init)) }
        guard !everywhere.isEmpty else { return nil }
        do {
            _ = try Reconciler.plan(
                manifest, domain: domain, observed: reference.computers, spnMappings: reference.spnMappings,
                targets: everywhere)
            return nil
        } catch let error as MissingHostsError {
            return error
        }
    }

    /// The host's states when the DCs do not all hold the same values, delegation bits and existence; nil when
    /// they do (or only one DC was read).
    /// - Parameter read: each DC read: the host as it holds it, and whether its plan leaves the host unchanged.
    static func disagreement(
        about host: ComputerName, _ read: [(ReplicaDomainController, ObservedComputer?, matches: Bool)]
    ) -> Disagreement? {
        struct Key: Equatable {
            var values: Set<String>
            var flags: UserAccountControl
            var descriptor: [UInt8]?
        }
        func key(_ computer: ObservedComputer?) -> Key? {
            computer.map {
                Key(
                    values: Set($0.allowedToDelegateTo), flags: $0.userAccountControl.intersection(.delegationFlags),
                    descriptor: $0.allowedToActOnBehalf)
            }
        }
        let first = key(read.first?.1)
        guard read.dropFirst().contains(where: { key($0.1) != first }) else { return nil }
        let all = Set(read.flatMap { $0.1?.allowedToDelegateTo ?? [] })
        func grants(_ computer: ObservedComputer?) -> Set<String> {
            let descriptor = computer?.allowedToActOnBehalf.flatMap { try? SecurityDescriptor(decoding: $0) }
            return Set((descriptor?.kcdctlGrants ?? []).map(\.description))
        }
        let allGrants = read.reduce(into: Set<String>()) { $0.formUnion(grants($1.1)) }
        return Disagreement(
            host: read.lazy.compactMap { $0.1?.name }.first ?? host.value,
            states: read.map { dc, computer, matches in
                HostState(
                    domainController: dc, exists: computer != nil, matchesManifest: matches,
                    lacks: all.subtracting(computer?.allowedToDelegateTo ?? []).sorted(),
                    delegationFlags: computer?.userAccountControl.intersection(.delegationFlags) ?? [],
                    lacksGrants: allGrants.subtracting(grants(computer)).sorted())
            })
    }
}

/// The comparison could not be made.
public struct ComparisonError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
