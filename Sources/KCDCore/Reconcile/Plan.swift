/// The minimal change that makes the directory match the manifest: per host, the values to add,
/// the values to remove and the userAccountControl swap. Hosts already right get no entry in `changes`.
public struct Plan: Sendable, Equatable {
    /// Sorted by host name.
    public var changes: [HostChange]
    /// Managed hosts that already match, sorted.
    public var unchanged: [String]
    public var warnings: [PlanWarning]

    public init(changes: [HostChange], unchanged: [String], warnings: [PlanWarning]) {
        self.changes = changes
        self.unchanged = unchanged
        self.warnings = warnings
    }

    public var isEmpty: Bool { changes.isEmpty }

    public var summary: Summary {
        Summary(
            hostsToChange: changes.count,
            hostsUnchanged: unchanged.count,
            // A resource-based grant counts as a value: one account allowed (or no longer) to delegate.
            valuesToAdd: changes.reduce(0) { $0 + $1.add.count + ($1.resourceBased?.allow.count ?? 0) },
            valuesToRemove: changes.reduce(0) { $0 + $1.remove.count + ($1.resourceBased?.revoke.count ?? 0) },
            userAccountControlChanges: changes.filter { $0.userAccountControl != nil }.count,
            securityFixes: changes.filter(\.removesUnconstrainedDelegation).count,
            warnings: warnings.count
        )
    }

    public struct Summary: Sendable, Equatable, Codable {
        public var hostsToChange: Int
        public var hostsUnchanged: Int
        public var valuesToAdd: Int
        public var valuesToRemove: Int
        public var userAccountControlChanges: Int
        public var securityFixes: Int
        public var warnings: Int
    }
}

public struct HostChange: Sendable, Equatable {
    public var host: String
    public var dn: String
    public var mode: DelegationMode
    /// The clusters of the manifest the host is in.
    public var clusters: [String]
    /// Values of `msDS-AllowedToDelegateTo` to add, sorted.
    public var add: [SPN]
    /// Values to remove, spelled exactly as stored, sorted.
    public var remove: [SPN]
    public var userAccountControl: UserAccountControlChange?
    /// The object as it was read when the change was computed: the change's precondition.
    public var observed: ObservedComputer
    /// Resource-based delegation: the change of `msDS-AllowedToActOnBehalfOfOtherIdentity`.
    public var resourceBased: ResourceBasedChange?

    public init(
        host: String, dn: String, mode: DelegationMode, clusters: [String] = [], add: [SPN], remove: [SPN],
        userAccountControl: UserAccountControlChange?, observed: ObservedComputer? = nil,
        resourceBased: ResourceBasedChange? = nil
    ) {
        self.resourceBased = resourceBased
        self.host = host
        self.dn = dn
        self.mode = mode
        self.clusters = clusters
        self.add = add
        self.remove = remove
        self.userAccountControl = userAccountControl
        self.observed =
            observed ?? ObservedComputer(name: host, dn: dn, userAccountControl: userAccountControl?.from ?? [])
    }

    /// How the object differs now from what the change was computed against, or nil when it does not:
    /// the values of msDS-AllowedToDelegateTo (exactly as stored) and userAccountControl.
    public func staleness(now current: ObservedComputer) -> String? {
        var differences: [String] = []
        let before = Set(observed.allowedToDelegateTo)
        let after = Set(current.allowedToDelegateTo)
        let gained = after.subtracting(before).sorted()
        let lost = before.subtracting(after).sorted()
        if !gained.isEmpty { differences.append("msDS-AllowedToDelegateTo gained \(gained.joined(separator: ", "))") }
        if !lost.isEmpty { differences.append("msDS-AllowedToDelegateTo lost \(lost.joined(separator: ", "))") }
        if current.userAccountControl != observed.userAccountControl {
            differences.append(
                "userAccountControl is \(current.userAccountControl), was \(observed.userAccountControl)")
        }
        // (A classic change does not concern the descriptor: a saved plan does not even carry it.)
        if resourceBased != nil, current.allowedToActOnBehalf != observed.allowedToActOnBehalf {
            differences.append("\(ResourceBasedChange.attribute) changed")
        }
        if current.dn != observed.dn { differences.append("the object moved to \(current.dn)") }
        return differences.isEmpty ? nil : differences.joined(separator: "; ")
    }

    /// The host had unconstrained delegation (0x80000) and loses it: a security fix, called out in review.
    public var removesUnconstrainedDelegation: Bool {
        guard let uac = userAccountControl else { return false }
        return uac.from.contains(.trustedForDelegation) && !uac.to.contains(.trustedForDelegation)
    }
}

/// A compare-and-swap of `userAccountControl`: applied as delete-old + add-new in one request.
public struct UserAccountControlChange: Sendable, Equatable {
    public var from: UserAccountControl
    public var to: UserAccountControl
    public init(from: UserAccountControl, to: UserAccountControl) {
        self.from = from
        self.to = to
    }
    public var added: UserAccountControl { to.subtracting(from) }
    public var removed: UserAccountControl { from.subtracting(to) }
}

/// Something a reviewer should know that does not stop the plan, e.g. a target SPN no account registers.
public struct PlanWarning: Sendable, Equatable, Hashable {
    public var subject: String
    public var message: String
    public init(subject: String, message: String) {
        self.subject = subject
        self.message = message
    }
}
