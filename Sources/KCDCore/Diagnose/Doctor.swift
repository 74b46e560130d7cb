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

    public init(name: String, dn: String?, userAccountControl: UserAccountControl = [], protectedUsersVia: String? = nil) {
        self.name = name
        self.dn = dn
        self.userAccountControl = userAccountControl
        self.protectedUsersVia = protectedUsersVia
    }
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

        public init(manifest: Manifest, domain: String, observed: [ObservedComputer], spnMappings: SPNMappings,
                    spnHolders: [String: [String]], users: [UserFacts], now: Date) {
            self.manifest = manifest
            self.domain = domain
            self.observed = observed
            self.spnMappings = spnMappings
            self.spnHolders = spnHolders
            self.users = users
            self.now = now
        }
    }

    /// Ticket caches keep delegation decisions this long.
    public static let ticketLifetimeForPurge: TimeInterval = 15 * 60

    /// The SPNs whose holders the diagnosis needs: every declared target, its sPNMappings form
    /// (`cifs/X` → `HOST/X`), and every SPN the managed hosts register (for duplicates).
    public static func spnsToLookUp(_ manifest: Manifest, domain: String, observed: [ObservedComputer], mappings: SPNMappings) -> [SPN] {
        let byName = Dictionary(observed.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let desired = DesiredState.expand(manifest, domain: domain) { byName[$0.lowercased()]?.dnsHostName }
        var spns = Set(desired.hosts.flatMap(\.targets))
        for spn in Array(spns) {
            if let mapped = mappings.mapped(spn) { spns.insert(mapped) }
        }
        for host in manifest.hosts {
            spns.formUnion((byName[host.lowercased()]?.servicePrincipalNames ?? []).map(SPN.init))
        }
        return spns.sorted()
    }

    public static func diagnose(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        let byName = Dictionary(facts.observed.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let migration = "live migration started remotely fails with 0x8009030E"

        // Clusters in kerberos-only.
        for cluster in facts.manifest.clusters where cluster.mode == .kerberosOnly {
            findings.append(Finding(.warning, "cluster \(cluster.name)", "mode kerberos-only (no protocol transition)",
                why: "Hyper-V remoting runs over WinRM from Windows Server 2016 on and needs \"use any authentication protocol\"; without it \(migration)",
                fix: "set mode: any-protocol for cluster \(cluster.name) in the manifest, then kcdctl apply"))
        }

        // Managed hosts: missing, disabled, unconstrained.
        for host in facts.manifest.hosts {
            guard let computer = byName[host.lowercased()] else {
                findings.append(Finding(.error, host, "no computer object in the directory",
                    why: "delegation cannot be granted to or by an account AD does not know",
                    fix: "join \(host) to the domain, or remove it from the manifest"))
                continue
            }
            if computer.userAccountControl.contains(.accountDisable) {
                findings.append(Finding(.error, host, "the computer account is disabled",
                    why: "the KDC issues no tickets for a disabled account, so Kerberos to and from \(host) fails",
                    fix: "enable the account (Enable-ADAccount \(host)$) or remove \(host) from the manifest"))
            }
            if computer.userAccountControl.contains(.trustedForDelegation) {
                findings.append(Finding(.error, host, "unconstrained delegation is set (TRUSTED_FOR_DELEGATION, 0x80000)",
                    why: "the host receives and can reuse the TGT of every user who connects to it: a security risk, and not what live migration needs",
                    fix: "kcdctl apply (it clears the bit and sets constrained delegation)"))
            }
        }

        // Target SPNs nobody registers, and SPNs registered twice.
        let desired = DesiredState.expand(facts.manifest, domain: facts.domain) { byName[$0.lowercased()]?.dnsHostName }
        for spn in Set(desired.hosts.flatMap(\.targets)).sorted() {
            let holders = facts.spnHolders[spn.key] ?? []
            let mapped = facts.spnMappings.mapped(spn)
            let mappedHolders = mapped.flatMap { facts.spnHolders[$0.key] } ?? []
            if holders.isEmpty && mappedHolders.isEmpty {
                let owner = desired.targetOwners[spn]
                let via = mapped.map { " (nor \($0.value), which sPNMappings map it to)" } ?? ""
                findings.append(Finding(.error, spn.value, "no account registers this SPN\(via)",
                    why: "the KDC cannot issue a ticket for it, so delegation to it cannot work",
                    fix: owner.map { "register it on \($0): setspn -S \"\(spn.value)\" \($0)" + (spn.serviceClass.lowercased().hasPrefix("microsoft virtual") ? " (the Hyper-V Virtual Machine Management service registers it when it starts)" : "") }
                        ?? "register it on the account that runs the service (setspn -S), or remove it from extraTargets"))
            }
        }
        // The same SPN on two accounts, literally or through sPNMappings (cifs/X on one account, HOST/X on another).
        for key in facts.spnHolders.keys.sorted() {
            let spn = SPN(key)
            let mapped = facts.spnMappings.mapped(spn)
            let accounts = uniqueNames((facts.spnHolders[key] ?? []) + (mapped.flatMap { facts.spnHolders[$0.key] } ?? []))
            guard accounts.count > 1 else { continue }
            let via = mapped.map { facts.spnHolders[$0.key] == nil ? "" : " (counting \($0.value), which sPNMappings map it to)" } ?? ""
            findings.append(Finding(.error, key, "the same SPN is registered on \(accounts.count) accounts: \(accounts.sorted().joined(separator: ", "))\(via)",
                why: "the KDC cannot tell which account's key to use; Kerberos to this service fails (KRB_AP_ERR_MODIFIED) or reaches the wrong host",
                fix: "keep it on the right account only: setspn -D \"\(key)\" <the other account>"))
        }

        // The users who start migrations.
        for user in facts.users {
            guard user.dn != nil else {
                findings.append(Finding(.error, user.name, "no such user in the directory",
                    why: "the user cannot be checked (and cannot start a migration)", fix: "check the name (sAMAccountName or user@REALM)"))
                continue
            }
            if user.userAccountControl.contains(.notDelegated) {
                findings.append(Finding(.error, user.name, "\"Account is sensitive and cannot be delegated\" is set (NOT_DELEGATED, 0x100000)",
                    why: "the KDC never lets a host act on this user's behalf: S4U2Proxy is refused and \(migration)",
                    fix: "clear the flag for accounts that must start migrations (Set-ADAccountControl \(user.name.prefix { $0 != "@" }) -AccountNotDelegated $false), or use another account"))
            }
            if let via = user.protectedUsersVia {
                findings.append(Finding(.error, user.name, "member of Protected Users" + (via.isEmpty ? "" : " (through \(via))"),
                    why: "members of Protected Users are never delegated: \(migration)",
                    fix: "remove \(user.name)" + (via.isEmpty ? "" : " (or the group \(via))") + " from Protected Users, or start migrations with another account"))
            }
        }

        // Drift, and hosts changed so recently that tickets may still carry the old delegation.
        if facts.manifest.hosts.allSatisfy({ byName[$0.lowercased()] != nil }),
           let plan = try? Reconciler.plan(facts.manifest, domain: facts.domain, observed: facts.observed, spnMappings: facts.spnMappings) {
            for change in plan.changes {
                var what: [String] = []
                if !change.add.isEmpty { what.append("\(change.add.count) delegation value\(change.add.count == 1 ? "" : "s") missing") }
                if !change.remove.isEmpty { what.append("\(change.remove.count) not in the manifest") }
                if let uac = change.userAccountControl { what.append("userAccountControl \(uac.from) should be \(uac.to)") }
                findings.append(Finding(.warning, change.host, "AD differs from the manifest: \(what.joined(separator: ", "))",
                    why: "a host missing a peer's SPNs cannot live-migrate to that peer",
                    fix: "kcdctl plan, then kcdctl apply"))
            }
        }
        for host in facts.manifest.hosts {
            guard let changed = byName[host.lowercased()]?.whenChanged.flatMap(generalizedTime) else { continue }
            let age = facts.now.timeIntervalSince(changed)
            if age >= 0 && age < ticketLifetimeForPurge {
                let until = changed.addingTimeInterval(ticketLifetimeForPurge)
                findings.append(Finding(.info, host, "changed \(Int(age / 60)) min ago (\(PlanDocument.timestamp(changed)))",
                    why: "Kerberos tickets the host obtained before the change still carry the old delegation",
                    fix: "run klist purge -li 0x3e7 on \(host), or wait until \(PlanDocument.timestamp(until))"))
            }
        }
        return findings.sorted { ($0.severity, $0.subject.lowercased()) < ($1.severity, $1.subject.lowercased()) }
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

    public static func renderText(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "No findings: nothing known to break live migration.\n" }
        var out = ""
        for f in findings {
            // Subjects and problems quote what the directory holds: shown escaped.
            out += "\(f.severity.rawValue.uppercased()) \(Printable.escape(f.subject)): \(Printable.escape(f.problem))\n    why: \(f.why)\n    fix: \(Printable.escape(f.fix))\n"
        }
        let counts = Dictionary(grouping: findings, by: \.severity).mapValues(\.count)
        out += "\n\(findings.count) finding\(findings.count == 1 ? "" : "s"): \(counts[.error] ?? 0) error(s), \(counts[.warning] ?? 0) warning(s), \(counts[.info] ?? 0) info.\n"
        return out
    }

    public static func renderJSON(_ findings: [Finding]) -> String {
        struct Document: Encodable {
            var findings: [Finding]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(Document(findings: findings)), as: UTF8.self) + "\n"
    }
}
