/// kcdctl's first principle as a check that every write passes, whatever produced the plan (computed now,
/// confirmed at a prompt, or saved, reviewed and possibly edited since): a write stays inside what the
/// reviewed manifest declares.
///
/// - each host written is a host of the manifest, and appears once;
/// - the DN written is the DN read for that sAMAccountName in this run;
/// - every value added to msDS-AllowedToDelegateTo is in that host's desired set, spelled as declared;
/// - every value removed is of a service class the host's clusters manage (prune: managed), and not desired;
/// - userAccountControl changes from what was read in this run, and only by the two delegation bits:
///   TRUSTED_TO_AUTH_FOR_DELEGATION toward the host's mode, TRUSTED_FOR_DELEGATION (unconstrained) cleared;
/// - msDS-AllowedToActOnBehalfOfOtherIdentity (resource-based) changes from the value read in this run, only by
///   kcdctl-form grants: added only for the SIDs of the host's declared delegators, removed only for SIDs not
///   declared that are a managed host's or (prune: managed, resource-based mode) a computer account's; every
///   other ACE, the owner, group and SACL stay byte for byte.
public struct WriteInvariant: Sendable {
    private let desired: [ComputerName: DesiredState.Host]
    private let observed: [ComputerName: ObservedComputer]
    private let managedSIDs: [SecurityIdentifier: String]
    private let sidOwners: [SecurityIdentifier: SIDOwner]

    /// - Parameters:
    ///   - observed: the computer objects of the manifest's accounts as read in this run.
    ///   - sidOwners: who the SIDs of grants in their descriptors are, as read in this run.
    public init(
        manifest: Manifest, domain: String, observed: [ObservedComputer],
        sidOwners: [SecurityIdentifier: SIDOwner] = [:]
    ) {
        let byName = observed.indexedByName()
        let state = DesiredState.expand(manifest, domain: domain) { byName[ComputerName($0)]?.dnsHostName }
        var desired: [ComputerName: DesiredState.Host] = [:]
        for host in state.hosts { desired[ComputerName(host.name)] = host }
        self.desired = desired
        self.observed = byName
        self.managedSIDs = ResourceBasedPlanner.managedSIDs(manifest, byName)
        self.sidOwners = sidOwners
    }

    /// Throws for the first change that leaves the declared state; nothing of the plan may then be written.
    public func check(_ plan: Plan) throws {
        try checkTargets(plan)
        for change in plan.changes { try checkValues(change) }
    }

    /// The rules on what is written to: each host a host of the manifest, once, at the DN read for it in this
    /// run. Checked before anything else about a saved plan, so that a host or DN slipped into it is named
    /// as such, not as a host that changed.
    public func checkTargets(_ plan: Plan) throws {
        var seen = Set<ComputerName>()
        for change in plan.changes {
            let key = ComputerName(change.host)
            guard desired[key] != nil else {
                throw InvariantViolation(
                    host: change.host, operation: "write",
                    reason: "\(Printable.quoted(change.host)) is not a host of the manifest")
            }
            guard seen.insert(key).inserted else {
                throw InvariantViolation(
                    host: change.host, operation: "write", reason: "the host appears twice in the plan")
            }
            guard let read = observed[key] else {
                throw InvariantViolation(
                    host: change.host, operation: "write",
                    reason: "no computer object \(change.host)$ was read in this run")
            }
            guard change.dn == read.dn else {
                throw InvariantViolation(
                    host: change.host, operation: "write to \(Printable.quoted(change.dn))",
                    reason: "the computer object \(change.host)$ read in this run is \(Printable.quoted(read.dn))")
            }
        }
    }

    /// The rules on what is written, for a change whose target `checkTargets` accepted.
    private func checkValues(_ change: HostChange) throws {
        func violation(_ operation: String, _ reason: String) -> InvariantViolation {
            InvariantViolation(host: change.host, operation: operation, reason: reason)
        }
        let key = ComputerName(change.host)
        let host = desired[key]!
        let read = observed[key]!
        for value in change.add {
            guard host.targets.declared(value)?.value == value.value else {
                throw violation(
                    "add msDS-AllowedToDelegateTo \(Printable.quoted(value.value, limit: 200))",
                    "the manifest does not declare it for \(host.name)")
            }
        }
        for value in change.remove {
            guard let serviceClass = value.asciiServiceClass, host.managedServiceClasses.contains(serviceClass) else {
                throw violation(
                    "remove msDS-AllowedToDelegateTo \(Printable.quoted(value.value, limit: 200))",
                    "its service class is not one the host's clusters manage with prune: managed")
            }
            guard host.targets.declared(value) == nil else {
                throw violation(
                    "remove msDS-AllowedToDelegateTo \(Printable.quoted(value.value, limit: 200))",
                    "the manifest declares it")
            }
        }
        if let uac = change.userAccountControl {
            let operation = "set userAccountControl \(uac.from) -> \(uac.to)"
            guard uac.from == read.userAccountControl else {
                throw violation(operation, "\(change.host) has \(read.userAccountControl) as read in this run")
            }
            let allowed = host.mode.userAccountControl(from: uac.from)
            guard uac.to == allowed else {
                throw violation(
                    operation,
                    "only the delegation bits may change, toward mode \(host.mode.rawValue): \(uac.from) -> \(allowed)")
            }
        }
        if let change = change.resourceBased { try checkResourceBased(change, host, read, violation) }
    }

    private func checkResourceBased(
        _ change: ResourceBasedChange, _ host: DesiredState.Host, _ read: ObservedComputer,
        _ violation: (String, String) -> InvariantViolation
    ) throws {
        let attribute = ResourceBasedChange.attribute
        guard change.from == read.allowedToActOnBehalf else {
            throw violation("replace \(attribute)", "\(host.name) holds another value as read in this run")
        }
        guard !change.allow.isEmpty || !change.revoke.isEmpty else {
            throw violation("replace \(attribute)", "the change neither adds nor removes a grant")
        }
        let declared = Set(host.delegators.compactMap { observed[ComputerName($0)]?.objectSid })
        for principal in change.allow where !declared.contains(principal.sid) {
            throw violation(
                "allow \(principal.display) in \(attribute)", "the manifest does not declare it for \(host.name)")
        }
        for principal in change.revoke
        where !ResourceBasedPlanner.mayRevoke(
            principal.sid, from: host, declared: declared, managedSIDs: managedSIDs, owners: sidOwners)
        {
            throw violation(
                "revoke \(principal.display) in \(attribute)",
                "only grants the manifest does not declare for \(host.name), of its hosts or (resource-based) of computer accounts, may be removed, and only under prune: managed"
            )
        }
        let expected: [UInt8]?
        do {
            let before = try read.allowedToActOnBehalf.map { try SecurityDescriptor(decoding: $0) }
            expected = try ResourceBasedPlanner.newValue(
                before, allowing: change.allow.map(\.sid), revoking: change.revoke.map(\.sid))
        } catch {
            throw violation(
                "replace \(attribute)",
                "the value read, with these grants, is not a descriptor kcdctl can write (\(error))")
        }
        guard change.to == expected else {
            throw violation(
                "replace \(attribute)",
                "the new value is not the value read with exactly these grants added and removed")
        }
    }
}

/// A plan that would write something the manifest does not declare. Nothing of it is written.
public struct InvariantViolation: Error, Equatable, CustomStringConvertible {
    public var host: String
    /// What the plan would do, e.g. `add msDS-AllowedToDelegateTo 'ldap/dc01'`.
    public var operation: String
    public var reason: String

    public var description: String {
        "refusing the plan: \(Printable.quoted(host)): \(operation): \(reason); nothing was written"
    }
}
