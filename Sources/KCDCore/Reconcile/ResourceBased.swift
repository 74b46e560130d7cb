import Foundation

/// A change of a host's `msDS-AllowedToActOnBehalfOfOtherIdentity` (resource-based constrained delegation):
/// which accounts it allows to act on behalf of users toward it, as grants kcdctl adds and revokes, and the
/// whole value before and after. Written as delete-old-value + add-new-value in one request, so a value changed
/// in the meantime makes the request fail whole.
public struct ResourceBasedChange: Sendable, Equatable {
    /// An account a grant names: its SID and, when the directory resolved it, its `sAMAccountName`.
    public struct Principal: Sendable, Equatable {
        public var sid: SecurityIdentifier
        public var accountName: String?

        public init(sid: SecurityIdentifier, accountName: String?) {
            (self.sid, self.accountName) = (sid, accountName)
        }

        /// `HV02$ (S-1-5-21-…-1105)`, or the SID alone.
        public var display: String {
            accountName.map { "\(Printable.escape($0)) (\(sid))" } ?? sid.description
        }
    }

    public static let attribute = "msDS-AllowedToActOnBehalfOfOtherIdentity"

    /// Grants added, in the order of the host's clusters' members.
    public var allow: [Principal]
    /// kcdctl-form grants removed.
    public var revoke: [Principal]
    /// The value as read; nil when the attribute was absent.
    public var from: [UInt8]?
    /// The value written; nil when the attribute is deleted (no ACE would remain).
    public var to: [UInt8]?

    public init(allow: [Principal], revoke: [Principal], from: [UInt8]?, to: [UInt8]?) {
        (self.allow, self.revoke, self.from, self.to) = (allow, revoke, from, to)
    }

    /// Whether `now` holds what this change writes: every grant allowed, none revoked (the rest of the value
    /// may differ: someone else's ACE added meanwhile does not undo this change).
    func isApplied(in now: ObservedComputer) -> Bool {
        let grants = now.allowedToActOnBehalf.flatMap { try? SecurityDescriptor(decoding: $0) }?.kcdctlGrants ?? []
        let held = Set(grants)
        return allow.allSatisfy { held.contains($0.sid) } && !revoke.contains { held.contains($0.sid) }
    }

    /// The request's operations: the old value deleted by its bytes (the precondition), the new one added.
    var operations: [AttributeOperation] {
        var operations: [AttributeOperation] = []
        if let from {
            operations.append(.init(.delete, Self.attribute, [Data(from).base64EncodedString()], binary: true))
        }
        if let to { operations.append(.init(.add, Self.attribute, [Data(to).base64EncodedString()], binary: true)) }
        return operations
    }
}

/// A managed host's resource-based delegation cannot be planned: its descriptor does not decode, or a host it
/// must allow has no SID. Nothing is written.
public struct ResourceBasedDelegationError: Error, Equatable, CustomStringConvertible {
    public var host: String
    public var problem: String

    public init(host: String, problem: String) {
        (self.host, self.problem) = (host, problem)
    }

    public var description: String { "\(host): \(problem); nothing was changed" }
}

/// The resource-based part of a host's diff. Pure.
enum ResourceBasedPlanner {
    /// The host's descriptor, decoded; nil when absent. A value that does not decode is an error for a host in
    /// resource-based mode (kcdctl must rewrite it) and a warning otherwise (nothing of it is touched).
    static func descriptor(of current: ObservedComputer, host: String) throws(ResourceBasedDelegationError)
        -> SecurityDescriptor?
    {
        guard let bytes = current.allowedToActOnBehalf else { return nil }
        do {
            return try SecurityDescriptor(decoding: bytes)
        } catch {
            throw ResourceBasedDelegationError(
                host: host,
                problem:
                    "\(ResourceBasedChange.attribute) is not a valid security descriptor (\(error.description))")
        }
    }

    /// What must change in `current`'s descriptor for `desired`: in resource-based mode, a grant of kcdctl's form
    /// for each delegator's SID; and under prune: managed, no kcdctl-form grant `mayRevoke` names.
    /// Every other ACE stays byte for byte.
    /// - Parameters:
    ///   - byName: every managed host read (the delegators' SIDs).
    ///   - managedSIDs: the SIDs of the manifest's hosts, with their names.
    ///   - owners: who the other SIDs in the descriptor belong to.
    static func change(
        _ desired: DesiredState.Host, _ current: ObservedComputer, byName: [ComputerName: ObservedComputer],
        managedSIDs: [SecurityIdentifier: String], owners: [SecurityIdentifier: SIDOwner]
    ) throws(ResourceBasedDelegationError) -> ResourceBasedChange? {
        let existing: SecurityDescriptor?
        do {
            existing = try descriptor(of: current, host: desired.name)
        } catch {
            // A classic host's unreadable descriptor is not kcdctl's to rewrite.
            guard desired.mode.isResourceBased else { return nil }
            throw error
        }
        var wanted: [ResourceBasedChange.Principal] = []
        for name in desired.delegators {
            guard let sid = byName[ComputerName(name)]?.objectSid else {
                throw ResourceBasedDelegationError(
                    host: desired.name, problem: "\(name), which it must allow, has no readable objectSid")
            }
            wanted.append(.init(sid: sid, accountName: "\(name)$"))
        }
        let granted = existing?.kcdctlGrants ?? []
        let grantedSet = Set(granted)
        let wantedSet = Set(wanted.map(\.sid))
        let allow = wanted.filter { !grantedSet.contains($0.sid) }
        let revoke = granted.filter {
            mayRevoke($0, from: desired, declared: wantedSet, managedSIDs: managedSIDs, owners: owners)
        }.map { sid in
            ResourceBasedChange.Principal(
                sid: sid, accountName: owners[sid]?.accountName ?? managedSIDs[sid].map { "\($0)$" })
        }
        guard !allow.isEmpty || !revoke.isEmpty else { return nil }
        let bytes: [UInt8]?
        do {
            bytes = try newValue(existing, allowing: allow.map(\.sid), revoking: revoke.map(\.sid))
        } catch {
            throw ResourceBasedDelegationError(
                host: desired.name, problem: "the new descriptor is too large (\(error))")
        }
        return ResourceBasedChange(allow: allow, revoke: revoke, from: current.allowedToActOnBehalf, to: bytes)
    }

    /// The managed hosts' SIDs, with each one's account name (the first host holding it).
    static func managedSIDs(_ manifest: Manifest, _ byName: [ComputerName: ObservedComputer])
        -> [SecurityIdentifier: String]
    {
        var sids: [SecurityIdentifier: String] = [:]
        for host in manifest.hosts {
            if let computer = byName[ComputerName(host)], let sid = computer.objectSid, sids[sid] == nil {
                sids[sid] = computer.name
            }
        }
        return sids
    }

    /// Whether a kcdctl-form grant of `sid` may be removed from `host`'s descriptor: only under `prune: managed`,
    /// only when the manifest does not declare it there, and only when it is a managed host's (a cluster switched
    /// back from resource-based, a host moved) or, in resource-based mode, a computer account's (a host dropped
    /// from the cluster). The planner's rule, and the write invariant's: one function so they cannot differ.
    static func mayRevoke(
        _ sid: SecurityIdentifier, from host: DesiredState.Host, declared: Set<SecurityIdentifier>,
        managedSIDs: [SecurityIdentifier: String], owners: [SecurityIdentifier: SIDOwner]
    ) -> Bool {
        guard host.prunesGrants, !declared.contains(sid) else { return false }
        return managedSIDs[sid] != nil || (host.mode.isResourceBased && owners[sid]?.isComputer == true)
    }

    /// The value to write: `existing` (nil: absent) with these kcdctl-form grants added and removed, every other
    /// part kept. Nil (delete the attribute) only when a grant was removed, no ACE is left, and nothing else in it
    /// is someone else's (no group, no SACL, owner BUILTIN\Administrators or none): a foreign owner, group or
    /// SACL is kept, with an empty DACL. The planner's value, and the one the write invariant expects.
    static func newValue(
        _ existing: SecurityDescriptor?, allowing allow: [SecurityIdentifier], revoking revoke: [SecurityIdentifier]
    ) throws(SecurityDescriptorError) -> [UInt8]? {
        let updated = (existing ?? SecurityDescriptor.kcdctl(allowing: []))
            .updatingKcdctlGrants(adding: allow, removing: Set(revoke))
        let nothingLeft =
            !revoke.isEmpty && (existing?.dacl?.entries.isEmpty == false) && (updated.dacl?.entries.isEmpty ?? true)
            && updated.group == nil && updated.sacl == nil
            && (updated.owner == nil || updated.owner == .builtinAdministrators)
        return nothingLeft ? nil : try updated.encoded()
    }
}
