import Foundation

/// One thing that breaks (or will break) live migration, with why and what to do.
public struct Finding: Codable, Equatable, Sendable {
    public enum Severity: String, Codable, Sendable, Comparable {
        case error, warning, info
        var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }
    public var severity: Severity
    /// The host, user, cluster or SPN it is about.
    public var subject: String
    public var problem: String
    /// Why it breaks live migration.
    public var why: String
    /// The manifest or AD change that fixes it.
    public var fix: String

    public init(_ severity: Severity, _ subject: String, _ problem: String, why: String, fix: String) {
        self.severity = severity
        self.subject = subject
        self.problem = problem
        self.why = why
        self.fix = fix
    }
}

/// What the directory says about a user who starts live migrations.
public struct UserFacts: Sendable, Equatable {
    public var name: String
    /// Nil when no such user exists.
    public var dn: String?
    public var userAccountControl: UserAccountControl
    /// The group through which the user is in Protected Users, or nil when not a member.
    public var protectedUsersVia: String?

    public init(
        name: String, dn: String?, userAccountControl: UserAccountControl = [], protectedUsersVia: String? = nil
    ) {
        self.name = name
        self.dn = dn
        self.userAccountControl = userAccountControl
        self.protectedUsersVia = protectedUsersVia
    }
}

/// The reads `kcdctl doctor` needs beyond a `Directory`'s: who registers each SPN, and the users who start
/// migrations. Active Directory in production; a directory in memory in the tests.
public protocol DoctorDirectory: Directory {
    /// For each SPN (its `key`), the accounts that register it.
    func spnHolders(_ spns: [SPN]) throws -> [String: [String]]
    func users(named names: [String]) throws -> [UserFacts]
}

/// Read-only diagnosis of every known cause of 0x8009030E. Pure: the directory's facts come in as values.
public enum Doctor {
    public struct Facts: Sendable {
        public var manifest: Manifest
        public var domain: String
        /// Managed hosts and storage servers, as read.
        public var observed: [ObservedComputer]
        public var spnMappings: SPNMappings
        /// For every SPN looked up (lowercased key), the accounts that register it.
        public var spnHolders: [String: [String]]
        public var users: [UserFacts]
        public var now: Date
        /// The domain's DCs compared (nil when they were not read).
        public var domainControllers: DomainControllerComparison?
        /// Why the domain's DCs could not be listed.
        public var domainControllersUnlisted: String?
        /// The DC read: `whenChanged` is not replicated, so a time is as this DC has it.
        public var domainController: String?
        /// Who the SIDs of grants in the hosts' resource-based descriptors are (as `plan` reads them).
        public var sidOwners: [SecurityIdentifier: SIDOwner] = [:]

        public init(
            manifest: Manifest, domain: String, observed: [ObservedComputer], spnMappings: SPNMappings,
            spnHolders: [String: [String]], users: [UserFacts], now: Date,
            domainControllers: DomainControllerComparison? = nil, domainControllersUnlisted: String? = nil,
            domainController: String? = nil, owners: [SecurityIdentifier: SIDOwner] = [:]
        ) {
            self.domainController = domainController
            self.sidOwners = owners
            self.manifest = manifest
            self.domain = domain
            self.observed = observed
            self.spnMappings = spnMappings
            self.spnHolders = spnHolders
            self.users = users
            self.now = now
            self.domainControllers = domainControllers
            self.domainControllersUnlisted = domainControllersUnlisted
        }
    }

    /// Ticket caches keep delegation decisions this long.
    public static let ticketLifetimeForPurge: TimeInterval = 15 * 60

    /// The SPNs whose holders the diagnosis needs: every declared target, its sPNMappings form
    /// (`cifs/X` → `HOST/X`), and every SPN the managed hosts register (for duplicates).
    public static func spnsToLookUp(
        _ manifest: Manifest, domain: String, observed: [ObservedComputer], mappings: SPNMappings
    ) -> [SPN] {
        let byName = observed.indexedByName()
        // (Resource-based hosts reach their peers' SPNs too: those must be registered all the same.)
        let desired = DesiredState.expand(manifest.asClassic, domain: domain) {
            byName[ComputerName($0)]?.dnsHostName
        }
        var spns = Set(desired.hosts.flatMap(\.targets))
        for spn in Array(spns) {
            if let mapped = mappings.mapped(spn) { spns.insert(mapped) }
        }
        for host in manifest.hosts {
            spns.formUnion((byName[ComputerName(host)]?.servicePrincipalNames ?? []).map(SPN.init))
        }
        return spns.sorted()
    }

    /// Reads what the diagnosis needs (the manifest's accounts, sPNMappings, who registers each SPN concerned,
    /// the users) and diagnoses: `kcdctl doctor` end to end, through any directory.
    /// - Parameters:
    ///   - domainControllers: the domain's DCs compared, or why they could not be listed; nil when not read.
    public static func examine(
        _ manifest: Manifest, domain: String, users: [String], in directory: some DoctorDirectory, now: Date,
        domainControllers: Result<DomainControllerComparison, ComparisonError>? = nil, domainController: String? = nil
    ) throws -> [Finding] {
        let observed = try directory.computers(named: manifest.accountNames)
        let owners = try Reconciliation(manifest: manifest, domain: domain, directory: directory).sidOwners(observed)
        let mappings = try directory.spnMappings()
        let spns = spnsToLookUp(manifest, domain: domain, observed: observed, mappings: mappings)
        return diagnose(
            Facts(
                manifest: manifest, domain: domain, observed: observed, spnMappings: mappings,
                spnHolders: try directory.spnHolders(spns), users: try directory.users(named: users), now: now,
                domainControllers: try? domainControllers?.get(),
                domainControllersUnlisted: domainControllers.flatMap {
                    if case let .failure(error) = $0 { error.description } else { nil }
                }, domainController: domainController, owners: owners))
    }

    /// Every cause, most severe first, then by subject. Each cause is one function of the facts; a new cause
    /// is a new function in `causes` and a line in docs/diagnostics.md.
    public static func diagnose(_ facts: Facts) -> [Finding] {
        let evidence = Evidence(facts: facts, computers: facts.observed.indexedByName())
        let causes: [(Evidence) -> [Finding]] = [
            kerberosOnlyClusters, missingHosts, disabledHosts, unconstrainedHosts, unregisteredTargets,
            duplicateSPNs, unknownUsers, undelegatableUsers, protectedUsers, drift, recentChanges,
            disagreeingDomainControllers,
        ]
        let findings = causes.flatMap { $0(evidence) }
        return findings.sorted { ($0.severity, $0.subject.lowercased()) < ($1.severity, $1.subject.lowercased()) }
    }

    /// The facts with the observed computers indexed by name, as every cause reads them.
    struct Evidence {
        var facts: Facts
        var computers: [ComputerName: ObservedComputer]

        func computer(_ host: String) -> ObservedComputer? { computers[ComputerName(host)] }
    }

    static let migration = "live migration started remotely fails with 0x8009030E"

    /// Without protocol transition the WinRM-based migration cannot get a forwardable ticket.
    static func kerberosOnlyClusters(_ evidence: Evidence) -> [Finding] {
        evidence.facts.manifest.clusters.filter { $0.mode == .kerberosOnly }.map { cluster in
            Finding(
                .warning, "cluster \(cluster.name)", "mode kerberos-only (no protocol transition)",
                why: "Hyper-V remoting runs over WinRM from Windows Server 2016 on and needs "
                    + "\"use any authentication protocol\"; without it \(migration)",
                fix: "set mode: any-protocol for cluster \(cluster.name) in the manifest, then kcdctl apply")
        }
    }

    static func missingHosts(_ evidence: Evidence) -> [Finding] {
        evidence.facts.manifest.hosts.filter { evidence.computer($0) == nil }.map { host in
            Finding(
                .error, host, "no computer object in the directory",
                why: "delegation cannot be granted to or by an account AD does not know",
                fix: "join \(host) to the domain, or remove it from the manifest")
        }
    }

    static func disabledHosts(_ evidence: Evidence) -> [Finding] {
        evidence.facts.manifest.hosts.filter {
            evidence.computer($0)?.userAccountControl.contains(.accountDisable) == true
        }.map { host in
            Finding(
                .error, host, "the computer account is disabled",
                why: "the KDC issues no tickets for a disabled account, so Kerberos to and from \(host) fails",
                fix: "enable the account (Enable-ADAccount \(host)$) or remove \(host) from the manifest")
        }
    }

    static func unconstrainedHosts(_ evidence: Evidence) -> [Finding] {
        evidence.facts.manifest.hosts.filter {
            evidence.computer($0)?.userAccountControl.contains(.trustedForDelegation) == true
        }.map { host in
            Finding(
                .error, host, "unconstrained delegation is set (TRUSTED_FOR_DELEGATION, 0x80000)",
                why: "the host receives and can reuse the TGT of every user who connects to it: a security risk, "
                    + "and not what live migration needs",
                fix: "kcdctl apply (it clears the bit and sets constrained delegation)")
        }
    }

    /// A declared target that no account registers, literally or through sPNMappings: the KDC has no key for it.
    static func unregisteredTargets(_ evidence: Evidence) -> [Finding] {
        let facts = evidence.facts
        let desired = DesiredState.expand(facts.manifest.asClassic, domain: facts.domain) {
            evidence.computer($0)?.dnsHostName
        }
        return Set(desired.hosts.flatMap(\.targets)).sorted().compactMap { spn in
            let mapped = facts.spnMappings.mapped(spn)
            let mappedHolders = mapped.flatMap { facts.spnHolders[$0.key] } ?? []
            guard (facts.spnHolders[spn.key] ?? []).isEmpty && mappedHolders.isEmpty else { return nil }
            let via = mapped.map { " (nor \($0.value), which sPNMappings map it to)" } ?? ""
            let vmms =
                spn.serviceClass.lowercased().hasPrefix("microsoft virtual")
                ? " (the Hyper-V Virtual Machine Management service registers it when it starts)" : ""
            return Finding(
                .error, spn.value, "no account registers this SPN\(via)",
                why: "the KDC cannot issue a ticket for it, so delegation to it cannot work",
                fix: desired.targetOwners[spn].map { "register it on \($0): setspn -S \"\(spn.value)\" \($0)" + vmms }
                    ?? "register it on the account that runs the service (setspn -S), or remove it from extraTargets")
        }
    }

    /// The same SPN on two accounts, literally or through sPNMappings (cifs/X on one account, HOST/X on another).
    static func duplicateSPNs(_ evidence: Evidence) -> [Finding] {
        let facts = evidence.facts
        return facts.spnHolders.keys.sorted().compactMap { key in
            let mapped = facts.spnMappings.mapped(SPN(key))
            let mappedHolders = mapped.flatMap { facts.spnHolders[$0.key] }
            let accounts = uniqueNames((facts.spnHolders[key] ?? []) + (mappedHolders ?? []))
            guard accounts.count > 1 else { return nil }
            let via =
                mapped.map {
                    mappedHolders == nil ? "" : " (counting \($0.value), which sPNMappings map it to)"
                } ?? ""
            return Finding(
                .error, key,
                "the same SPN is registered on \(accounts.count) accounts: "
                    + "\(accounts.sorted().joined(separator: ", "))\(via)",
                why: "the KDC cannot tell which account's key to use; Kerberos to this service fails "
                    + "(KRB_AP_ERR_MODIFIED) or reaches the wrong host",
                fix: "keep it on the right account only: setspn -D \"\(key)\" <the other account>")
        }
    }

    static func unknownUsers(_ evidence: Evidence) -> [Finding] {
        evidence.facts.users.filter { $0.dn == nil }.map { user in
            Finding(
                .error, user.name, "no such user in the directory",
                why: "the user cannot be checked (and cannot start a migration)",
                fix: "check the name (sAMAccountName or user@REALM)")
        }
    }

    static func undelegatableUsers(_ evidence: Evidence) -> [Finding] {
        evidence.facts.users.filter { $0.dn != nil && $0.userAccountControl.contains(.notDelegated) }.map { user in
            Finding(
                .error, user.name,
                "\"Account is sensitive and cannot be delegated\" is set (NOT_DELEGATED, 0x100000)",
                why: "the KDC never lets a host act on this user's behalf: S4U2Proxy is refused and \(migration)",
                fix: "clear the flag for accounts that must start migrations (Set-ADAccountControl "
                    + "\(user.name.prefix { $0 != "@" }) -AccountNotDelegated $false), or use another account")
        }
    }

    static func protectedUsers(_ evidence: Evidence) -> [Finding] {
        evidence.facts.users.filter { $0.dn != nil }.compactMap { user in
            guard let via = user.protectedUsersVia else { return nil }
            return Finding(
                .error, user.name, "member of Protected Users" + (via.isEmpty ? "" : " (through \(via))"),
                why: "members of Protected Users are never delegated: \(migration)",
                fix: "remove \(user.name)" + (via.isEmpty ? "" : " (or the group \(via))")
                    + " from Protected Users, or start migrations with another account")
        }
    }

    /// What `plan` would change; not guessed while a host is missing (the plan would be refused).
    static func drift(_ evidence: Evidence) -> [Finding] {
        let facts = evidence.facts
        guard facts.manifest.hosts.allSatisfy({ evidence.computer($0) != nil }) else { return [] }
        let plan: Plan
        do {
            plan = try Reconciler.plan(
                facts.manifest, domain: facts.domain, observed: facts.observed, spnMappings: facts.spnMappings,
                sidOwners: facts.sidOwners)
        } catch let error as ValueBudgetExceeded {
            return error.excesses.map { excess in
                Finding(
                    .error, excess.host,
                    "would hold \(excess.total) values (\(excess.delegationValues) in msDS-AllowedToDelegateTo, \(excess.servicePrincipalNames) SPNs), more than directory.valueLimit (\(error.limit))",
                    why: "a Windows DC refuses such a write (adminLimitExceeded), so plan and apply refuse it: the "
                        + "delegation the manifest declares for it cannot be written",
                    fix: ValueBudget.advice)
            }
        } catch let error as ResourceBasedDelegationError {
            return [
                Finding(
                    .error, error.host, error.problem,
                    why: "kcdctl cannot plan the host's resource-based delegation, so no apply changes anything",
                    fix: "check the attribute (kcdctl show \(error.host)); clear or rewrite it by hand")
            ]
        } catch {
            return []
        }
        return plan.changes.map { change in
            var what: [String] = []
            if !change.add.isEmpty {
                what.append("\(change.add.count) delegation value\(change.add.count == 1 ? "" : "s") missing")
            }
            if !change.remove.isEmpty { what.append("\(change.remove.count) not in the manifest") }
            if let uac = change.userAccountControl { what.append("userAccountControl \(uac.from) should be \(uac.to)") }
            if let rbcd = change.resourceBased {
                if !rbcd.allow.isEmpty {
                    what.append(
                        "\(rbcd.allow.count) resource-based grant\(rbcd.allow.count == 1 ? "" : "s") missing "
                            + "(\(rbcd.allow.prefix(4).map(\.display).joined(separator: ", ")))")
                }
                if !rbcd.revoke.isEmpty {
                    what.append(
                        "\(rbcd.revoke.count) grant\(rbcd.revoke.count == 1 ? "" : "s") to revoke "
                            + "(\(rbcd.revoke.prefix(4).map(\.display).joined(separator: ", ")))")
                }
            }
            return Finding(
                .warning, change.host, "AD differs from the manifest: \(what.joined(separator: ", "))",
                why: "a host missing a peer's delegation cannot live-migrate to that peer",
                fix: "kcdctl plan, then kcdctl apply")
        }
    }

    /// A host changed so recently that tickets may still carry the old delegation. `whenChanged` is not
    /// replicated (each DC sets its own, and unrelated writes bump it): the finding names the DC read.
    static func recentChanges(_ evidence: Evidence) -> [Finding] {
        evidence.facts.manifest.hosts.compactMap { host in
            guard let changed = evidence.computer(host)?.whenChanged.flatMap(generalizedTime) else { return nil }
            let age = evidence.facts.now.timeIntervalSince(changed)
            guard age >= 0 && age < ticketLifetimeForPurge else { return nil }
            let until = changed.addingTimeInterval(ticketLifetimeForPurge)
            return Finding(
                .info, host,
                "changed \(Int(age / 60)) min ago"
                    + (evidence.facts.domainController.map { " on \($0)" } ?? "")
                    + " (\(PlanDocument.timestamp(changed)))",
                why: "Kerberos tickets the host obtained before the change still carry the old delegation",
                fix: "run klist -li 0x3e7 purge on \(host), or wait until \(PlanDocument.timestamp(until))")
        }
    }

    /// A host the domain's DCs disagree about, and a DC that could not be read or listed.
    static func disagreeingDomainControllers(_ evidence: Evidence) -> [Finding] {
        if let unlisted = evidence.facts.domainControllersUnlisted {
            return [
                Finding(
                    .info, "domain controllers", "the domain's DCs could not be listed and compared: \(unlisted)",
                    why: "only the DC read was checked; another may lack the delegation (replication)",
                    fix: "kcdctl drift --all-dcs once the configuration partition can be read")
            ]
        }
        guard let comparison = evidence.facts.domainControllers else { return [] }
        let unread = comparison.domainControllers.filter { $0.plan == nil }.map { outcome in
            Finding(
                .info, outcome.domainController.host, "this DC could not be read: \(outcome.failure ?? "not read")",
                why:
                    "its copy of the delegation was not compared; hosts that get their tickets from it are not checked",
                fix: "check that the DC is up and reachable from here, then run kcdctl doctor again")
        }
        return unread
            + comparison.disagreements.map { disagreement in
                let flags = Set(disagreement.states.filter(\.exists).map(\.delegationFlags.rawValue)).count > 1
                let states = disagreement.states.map {
                    "\($0.domainController.host): \(DomainControllerText.describe($0, flags: flags))"
                }
                return Finding(
                    .warning, disagreement.host, "the domain controllers disagree: \(states.joined(separator: "; "))",
                    why: "a host gets its tickets from a DC of its own site; until replication converges, a DC that "
                        + "lacks the delegation issues tickets without it and \(migration)",
                    fix: "check replication (repadmin /showrepl, samba-tool drs showrepl); kcdctl drift --all-dcs "
                        + "shows when the DCs agree, and apply --wait-replication waits for it after a change")
            }
    }

    /// `20261125160702.0Z` → a date.
    public static func generalizedTime(_ text: String) -> Date? {
        let digits = text.prefix { $0.isNumber }
        guard digits.count >= 14 else { return nil }
        var parts = DateComponents()
        parts.timeZone = TimeZone(identifier: "UTC")
        let n = Array(digits)
        func int(_ range: Range<Int>) -> Int { Int(String(n[range]))! }
        (parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second) =
            (int(0..<4), int(4..<6), int(6..<8), int(8..<10), int(10..<12), int(12..<14))
        return Calendar(identifier: .gregorian).date(from: parts)
    }

    /// `kcdctl doctor`'s exit status: 1 when any finding is an error, 2 for warnings, 0 when there are none
    /// or only information (e.g. "changed 3 min ago" right after an apply).
    public static func exitStatus(_ findings: [Finding]) -> ExitStatus {
        if findings.contains(where: { $0.severity == .error }) { return .failure }
        return findings.contains(where: { $0.severity == .warning }) ? .differs : .success
    }
}
