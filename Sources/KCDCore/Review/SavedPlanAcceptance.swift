import Foundation

/// What `apply PLAN.json` accepts of a saved plan, decided before anything is written (the rules that need the
/// directory, staleness and the write invariant, are `Reconciliation.apply`'s). Every refusal ends with
/// "nothing was written".
extension PlanDocument {
    /// A manifest given with -f must be the one the plan was made from (the same bytes).
    public func checkManifest(_ manifest: Manifest, path: String) throws {
        guard manifest.sha256 == self.manifest.sha256 else {
            throw PlanDocumentError("\(path) is not the manifest the plan was made from (sha256 \(manifest.sha256 ?? "?") ≠ \(self.manifest.sha256)): make a new plan; nothing was written")
        }
    }

    /// The directory the plan is applied to (after --uri, --base-dn and the environment) must be the one it
    /// was made against: the URI compared case-insensitively, the base DN by its RDNs, spaces and case aside.
    public func checkDirectory(uri: String, baseDN: String) throws {
        func rdns(_ dn: String) -> [String] {
            dn.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        guard directory.uri.lowercased() == uri.lowercased(), rdns(directory.baseDN) == rdns(baseDN) else {
            throw PlanDocumentError("the plan is for \(directory.uri) (\(directory.baseDN)), not \(uri) (\(baseDN)); nothing was written")
        }
    }

    /// The plan, limited to `targets` (any case) when given: a staged rollout applies part of a saved plan.
    public func plan(limitedTo targets: [String]?) throws -> Plan {
        var plan = try self.plan
        if let targets {
            let wanted = Set(targets.map { $0.lowercased() })
            plan.changes.removeAll { !wanted.contains($0.host.lowercased()) }
        }
        return plan
    }
}
