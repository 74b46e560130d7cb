/// `kcdctl import`: the manifest that declares the delegation AD holds now. The inverse of `DesiredState`:
/// for an estate that is consistent (every host of a group delegates to every other one, in one mode), the
/// written manifest expands to exactly the values AD holds, and the first plan is empty. Pure.
///
/// The rules (docs/adopting.md):
/// - A Hyper-V host is a computer that registers `Microsoft Virtual System Migration Service/…`, or that a
///   host's migration value names.
/// - A value `S/X` with S the migration service or `cifs` and X another host's short name or its FQDN
///   (`dNSHostName`, else `name.domain`) is a *peer edge*. Clusters are the connected groups of hosts over
///   peer edges. A host with values but no peer edge is a cluster of its own; a host with no value at all
///   joins none (it is listed, commented out, for the admin to place).
/// - `services` and `nameForms` are those the cluster's peer edges use (both, when a cluster has none).
/// - `smbStorage`: computers that are not Hyper-V hosts whose `cifs` service (short or FQDN) any host of
///   the cluster delegates to. Hosts that lack one get it in the first plan.
/// - `extraTargets`: any other valid value that every host of the cluster holds. One that only some hold is
///   left out: kept as it is when its service class is not managed, removed by the first plan when it is.
/// - `mode`: the majority of the hosts' TRUSTED_TO_AUTH_FOR_DELEGATION bit (any-protocol on a tie, what live
///   migration over WinRM needs); hosts with unconstrained delegation do not vote, and lose it in the first plan.
/// - `prune: managed`.
/// - A grant of kcdctl's form in host B's `msDS-AllowedToActOnBehalfOfOtherIdentity` to another host A's
///   objectSid is a *resource-based edge* (A may delegate to B); it joins hosts like a migration value. A group
///   joined only by resource-based edges (no host delegates to another by `msDS-AllowedToDelegateTo`) is a
///   cluster in mode `resource-based`, with the default services and name forms; a group with both is classic
///   (the first plan revokes its grants). A host whose descriptor does not decode, or without an objectSid of
///   its own, takes part in no resource-based edge. Grants to any other SID are not imported (findings).
/// Anything that is not a valid computer name or SPN is never written: it becomes a finding.
public enum Importer {
    /// Service classes whose delegation is a path to the domain when granted: a ticket to them as any user
    /// (S4U2Proxy after protocol transition) is a ticket to the directory or the KDC.
    public static let domainServiceClasses: Set<String> = [
        "ldap", "krbtgt", "gc", "kadmin", "e3514235-4b06-11d1-ab04-00c04fc2dcd2", "dns",
    ]

    /// Infers the manifest from `observation`, and computes its first plan with the real `Reconciler`.
    /// - Parameters:
    ///   - template: the input manifest: its directory settings, audit and plans keys are kept; its clusters
    ///     are replaced.
    ///   - domain: the DNS suffix for accounts without `dNSHostName` (as `plan` resolves it).
    public static func run(_ observation: ImportObservation, template: Manifest, domain: String) throws
        -> ImportResult
    {
        var inference = Inference(observation, domain: domain)
        inference.infer()
        var manifest = template
        manifest.clusters = inference.clusters.map(\.cluster)
        manifest.sha256 = nil
        manifest.source = nil
        let observed = inference.hosts.map(\.computer) + inference.others
        try ImportTooLarge.check(manifest)
        let plan =
            manifest.clusters.isEmpty
            ? Plan(changes: [], unchanged: [], warnings: [])
            : try Reconciler.plan(
                manifest, domain: domain, observed: observed, spnMappings: observation.spnMappings,
                sidOwners: inference.sidOwners(for: manifest))
        let security = inference.checkFirstPlan(plan)
        inference.reportGrants(plan)
        var clusters = inference.clusters
        let summary =
            security + explain(plan, manifest: manifest, domain: domain, observed: observed, clusters: &clusters)
        let largest = manifest.clusters.map(\.hosts.count).max() ?? 0
        return ImportResult(
            manifest: manifest, clusters: clusters,
            unplaced: inference.hosts.filter { $0.clusterIndex == nil }.map(\.node),
            hosts: inference.hosts.map(\.node), edges: inference.edges, findings: inference.findings.sorted(),
            firstPlan: plan, summary: summary,
            hostsPerClusterLimit: largest > Manifest.defaultHostsPerCluster ? largest : nil)
    }

    /// The first plan in sentences (grouped by the account a value names, so that "3 hosts lack delegation to
    /// HV07" reads as the estate's problem), and the same per host as notes on the cluster's hosts.
    static func explain(
        _ plan: Plan, manifest: Manifest, domain: String, observed: [ObservedComputer],
        clusters: inout [ImportedCluster]
    ) -> [String] {
        let byName = observed.indexedByName()
        let desired = DesiredState.expand(manifest, domain: domain) { byName[ComputerName($0)]?.dnsHostName }
        var lacking: [String: (owner: String, hosts: [String], values: Int)] = [:]
        var grants: [String] = []
        var lines: [String] = []
        var hostNotes: [String: String] = [:]
        for change in plan.changes {
            var notes: [String] = []
            var byOwner: [String: (owner: String, values: Int)] = [:]
            for spn in change.add {
                let owner = desired.targetOwners[spn] ?? spn.value
                byOwner[ComputerName(owner).key, default: (owner, 0)].values += 1
            }
            for (key, entry) in byOwner.sorted(by: { $0.key < $1.key }) {
                lacking[key, default: (entry.owner, [], 0)].hosts.append(change.host)
                lacking[key]!.values += entry.values
                notes.append("lacks delegation to \(Printable.escape(entry.owner)) (\(values(entry.values)))")
            }
            if let rbcd = change.resourceBased {
                grants += explain(rbcd, of: change, notes: &notes)
            }
            if !change.remove.isEmpty {
                let list = change.remove.map { Printable.escape($0.value) }.joined(separator: ", ")
                notes.append("holds \(values(change.remove.count)) no cluster declares (\(list))")
                lines.append(
                    "\(change.host) holds \(values(change.remove.count)) of a managed service class that the manifest does not declare (\(list)): the first plan will remove \(change.remove.count == 1 ? "it" : "them")"
                )
            }
            if let uac = change.userAccountControl {
                if change.removesUnconstrainedDelegation {
                    notes.append("SECURITY: has unconstrained delegation (TRUSTED_FOR_DELEGATION)")
                    lines.append(
                        "SECURITY FIX: \(change.host) has unconstrained delegation (TRUSTED_FOR_DELEGATION): the first plan clears it"
                    )
                }
                let other = UserAccountControl.trustedToAuthForDelegation
                if uac.from.contains(other) != uac.to.contains(other) {
                    let was = uac.from.contains(other) ? "any-protocol" : "kerberos-only"
                    notes.append("is \(was) in AD, its cluster \(change.mode.rawValue)")
                    lines.append(
                        "\(change.host) is \(was) in AD while its cluster is \(change.mode.rawValue): the first plan will \(uac.to.contains(other) ? "set" : "clear") TRUSTED_TO_AUTH_FOR_DELEGATION"
                    )
                }
            }
            hostNotes[ComputerName(change.host).key] = "the first plan changes it: " + notes.joined(separator: "; ")
        }
        let additions = lacking.sorted { $0.key < $1.key }.map { _, entry in
            let who =
                entry.hosts.count == 1
                ? "\(entry.hosts[0]) lacks" : "\(entry.hosts.count) hosts (\(entry.hosts.joined(separator: ", "))) lack"
            return
                "\(who) delegation to \(Printable.escape(entry.owner)): the first plan will add \(values(entry.values))"
        }
        for i in clusters.indices {
            for host in clusters[i].cluster.hosts {
                let key = ComputerName(host).key
                if let note = hostNotes[key] {
                    clusters[i].hostNotes[key] = clusters[i].hostNotes[key].map { $0 + "; " + note } ?? note
                }
            }
        }
        let s = plan.summary
        guard !plan.isEmpty else {
            let hosts = manifest.hosts.count
            return [
                "The first plan changes nothing: \(hosts) host\(hosts == 1 ? "" : "s") in \(manifest.clusters.count) cluster\(manifest.clusters.count == 1 ? "" : "s") delegate exactly as the manifest declares."
            ]
        }
        let allowed = plan.changes.reduce(0) { $0 + ($1.resourceBased?.allow.count ?? 0) }
        let revoked = plan.changes.reduce(0) { $0 + ($1.resourceBased?.revoke.count ?? 0) }
        let counts =
            allowed + revoked == 0
            ? "adds \(values(s.valuesToAdd)), removes \(values(s.valuesToRemove))"
            : "adds \(values(s.valuesToAdd - allowed)) and \(Self.grants(allowed)), removes \(values(s.valuesToRemove - revoked)) and \(Self.grants(revoked))"
        return additions + grants + lines + [
            "In all, the first plan changes \(s.hostsToChange) of \(s.hostsToChange + s.hostsUnchanged) hosts: \(counts), changes userAccountControl on \(s.userAccountControlChanges)."
        ]
    }

    /// A host's resource-based change in sentences, as a classic one: who lacks delegation to the host (the grants
    /// its descriptor lacks), and which grants it holds that the manifest does not declare.
    static func explain(_ rbcd: ResourceBasedChange, of change: HostChange, notes: inout [String]) -> [String] {
        var lines: [String] = []
        let attribute = ResourceBasedChange.attribute
        if !rbcd.allow.isEmpty {
            // The principals allowed are the cluster's hosts, named by the reconciler as `NAME$`.
            let names = rbcd.allow.map { principal in
                principal.accountName.map { Printable.escape($0.hasSuffix("$") ? String($0.dropLast()) : $0) }
                    ?? principal.sid.description
            }
            let who =
                names.count == 1 ? "\(names[0]) lacks" : "\(names.count) hosts (\(names.joined(separator: ", "))) lack"
            let list = rbcd.allow.map(\.display).joined(separator: ", ")
            lines.append(
                "\(who) resource-based delegation to \(change.host): the first plan will allow \(list) in \(change.host)'s \(attribute) (\(grants(rbcd.allow.count)))"
            )
            notes.append(
                "does not allow \(names.joined(separator: ", ")) (resource-based; \(grants(rbcd.allow.count)) to add)")
        }
        if !rbcd.revoke.isEmpty {
            let list = rbcd.revoke.map(\.display).joined(separator: ", ")
            let why =
                change.mode.isResourceBased
                ? "prune: managed revokes the grants of kcdctl's form to computers outside the cluster"
                : "its cluster is \(change.mode.rawValue): grants to the manifest's hosts are revoked"
            lines.append(
                "\(change.host)'s \(attribute) allows \(list), which the manifest does not declare: the first plan will revoke \(rbcd.revoke.count == 1 ? "it" : "them") (\(why))"
            )
            notes.append("allows \(list), which no cluster declares (\(grants(rbcd.revoke.count)) to revoke)")
        }
        return lines
    }

    static func values(_ n: Int) -> String { "\(n) value\(n == 1 ? "" : "s")" }
    static func grants(_ n: Int) -> String { "\(n) resource-based grant\(n == 1 ? "" : "s")" }
}

/// The inference proper, over one observation.
struct Inference {
    struct Host {
        var computer: ObservedComputer
        var node: ImportedHost
        var clusterIndex: Int?
    }

    let domain: String
    let observation: ImportObservation
    var hosts: [Host] = []
    var others: [ObservedComputer] = []
    var edges: [ImportEdge] = []
    var findings: [ImportFinding] = []
    var clusters: [ImportedCluster] = []
    /// Grants of kcdctl's form in a host's descriptor that are no resource-based edge: the host's index, the SID,
    /// who it is (escaped) and why it is no edge. Reported once the first plan says whether it revokes them
    /// (`reportGrants`).
    var unmatchedGrants: [(host: Int, sid: SecurityIdentifier, who: String, why: String)] = []
    /// Hosts whose resource-based delegation is not imported, with a warning saying why.
    var withoutResourceBased = Set<Int>()

    /// Lowercased short names and FQDNs → (index in hosts, or -1 - index in others).
    private var names: [String: Int] = [:]
    private var fqdns: [String: Int] = [:]
    private var controllers: [String: String] = [:]
    /// SPN key → why delegating to it is a path to the domain.
    private var dangerous: [String: String] = [:]

    init(_ observation: ImportObservation, domain: String) {
        self.observation = observation
        self.domain = domain
    }

    mutating func infer() {
        admit()
        index()
        // Per host A: the hosts whose descriptor allows A (A may delegate to them).
        let (resourceBased, grantEdges) = resourceBasedEdges()
        // Per host: the values that are neither peer nor storage edges, by SPN key (first spelling).
        var otherValues: [[SPN]] = Array(repeating: [], count: hosts.count)
        // Per host: its migration and cifs values that name an account, in the order held.
        var resolved: [[(spn: SPN, resolution: Resolution)]] = Array(repeating: [], count: hosts.count)
        // Each peer value is held by most hosts of its cluster: check and resolve each distinct value once.
        var problems: [String: String?] = [:]
        var resolutions: [String: Resolution?] = [:]
        for (h, host) in hosts.enumerated() {
            for value in host.computer.allowedToDelegateTo {
                let problem =
                    problems[value]
                    ?? {
                        let p = SPN.problem(with: value)
                        problems[value] = .some(p)
                        return p
                    }()
                if let problem {
                    findings.append(
                        .init(
                            .warning, host.computer.name,
                            "msDS-AllowedToDelegateTo holds a value that is not imported: \(problem)"))
                    continue
                }
                let spn = SPN(value)
                let resolution =
                    resolutions[spn.key]
                    ?? {
                        if let why = danger(spn) { dangerous[spn.key] = why }
                        let r = resolve(spn)
                        resolutions[spn.key] = .some(r)
                        return r
                    }()
                if let why = dangerous[spn.key] {
                    findings.append(
                        .init(
                            .security, host.computer.name,
                            "may delegate to \(Printable.escape(spn.value)), \(why). Remove it unless you know why it is there."
                        ))
                }
                guard let resolution, resolution.target != h, resolution.target >= 0 || resolution.service == "cifs"
                else {
                    otherValues[h].append(spn)
                    continue
                }
                resolved[h].append((spn, resolution))
            }
        }
        // Clusters are the groups of hosts joined by migration values. A cifs value to a host of another such
        // group names that host as SMB storage (a Hyper-V host that is also a file server), not as a peer:
        // merging the groups would declare migration between hosts that never had it. That is when both groups
        // migrate and only one delegates cifs to the other (peers delegate to each other; a file server does
        // not delegate to its clients). Otherwise cifs joins the groups into one cluster: a host that lost its
        // migration values is still its peers' peer, and clusters that manage cifs only have no migration value.
        // Resource-based edges join hosts as migration values do.
        var groups = UnionFind(hosts.count)
        for (h, values) in resolved.enumerated() {
            for (_, r) in values where r.target >= 0 && r.service == Importer.migrationService {
                groups.union(h, r.target)
            }
        }
        for (a, targets) in resourceBased.enumerated() {
            for b in targets { groups.union(a, b) }
        }
        let migrationGroup = hosts.indices.map { groups.root($0) }
        var migrating = Set<Int>()
        for (a, targets) in resourceBased.enumerated() where !targets.isEmpty { migrating.insert(migrationGroup[a]) }
        var cifs = Set<[Int]>()
        for (h, values) in resolved.enumerated() {
            for (_, r) in values where r.target >= 0 {
                if r.service == Importer.migrationService {
                    migrating.insert(migrationGroup[h])
                } else if migrationGroup[h] != migrationGroup[r.target] {
                    cifs.insert([migrationGroup[h], migrationGroup[r.target]])
                }
            }
        }
        for pair in cifs
        where cifs.contains([pair[1], pair[0]]) || !(migrating.contains(pair[0]) && migrating.contains(pair[1])) {
            groups.union(pair[0], pair[1])
        }
        var peers: [[Int]] = Array(repeating: [], count: hosts.count)
        // Storage servers by account: index in hosts, or -1 - index in others.
        var storage: [[Int]] = Array(repeating: [], count: hosts.count)
        var peerUse: [Set<PeerUse>] = Array(repeating: [], count: hosts.count)
        for (h, values) in resolved.enumerated() {
            var hostEdges: [(key: String, edge: ImportEdge)] = []
            for (spn, resolution) in values {
                let peer = resolution.target >= 0 && groups.root(h) == groups.root(resolution.target)
                let to =
                    resolution.target >= 0
                    ? hosts[resolution.target].computer.name : others[-1 - resolution.target].name
                let edge = ImportEdge(
                    from: hosts[h].computer.name, to: to, kind: peer ? .peer : .storage,
                    service: resolution.service, form: resolution.form, value: spn.value)
                hostEdges.append((ComputerName(to).key + "/" + spn.key, edge))
                if peer {
                    peers[h].append(resolution.target)
                    peerUse[h].insert(PeerUse(service: resolution.service, form: resolution.form))
                } else {
                    storage[h].append(resolution.target)
                }
            }
            edges += hostEdges.sorted { $0.key < $1.key }.map(\.edge)
        }
        edges += grantEdges
        let components = connected(peers, resourceBased: resourceBased)
        for members in components {
            let grants = members.reduce(0) { $0 + resourceBased[$1].count }
            // A group joined only by resource-based edges is resource-based; one with a classic peer edge is
            // classic, whatever grants its hosts also hold.
            if grants > 0, members.allSatisfy({ peers[$0].isEmpty }) {
                resourceBasedCluster(members, grants: grants)
                continue
            }
            cluster(members, storage: storage, otherValues: otherValues, peerUse: peerUse)
            if grants > 0 { mixed(grants: grants) }
        }
        clusters.sort { ComputerName($0.cluster.hosts[0]) < ComputerName($1.cluster.hosts[0]) }
        for (i, c) in clusters.enumerated() {
            for name in c.cluster.hosts {
                if let h = names[name.asciiFastLowercased()], h >= 0 {
                    hosts[h].clusterIndex = i
                    hosts[h].node.cluster = c.cluster.name
                }
            }
        }
        for (h, host) in hosts.enumerated() where host.clusterIndex == nil {
            let name = ComputerName(host.computer.name)
            let storageOf = edges.contains { $0.kind == .storage && ComputerName($0.to) == name }
            let what =
                withoutResourceBased.contains(h)
                ? "a Hyper-V host in no cluster: it delegates to nothing by msDS-AllowedToDelegateTo, and its resource-based delegation is not imported (see its warning)"
                : "a Hyper-V host that delegates to nothing, and no host delegates to it\(storageOf ? " but as SMB storage (its cifs service)" : "")"
            findings.append(
                .init(
                    .note, host.computer.name,
                    "\(what): import cannot tell which cluster it belongs to; it is listed, commented out, at the end of the manifest"
                ))
        }
        var holders: [ComputerName: [String]] = [:]
        let missing = Set(observation.missing.map(ComputerName.init))
        if !missing.isEmpty {
            for host in hosts {
                var named = Set<ComputerName>()
                for reference in Importer.references(of: host.computer) {
                    let key = ComputerName(reference.name)
                    if missing.contains(key), named.insert(key).inserted {
                        holders[key, default: []].append(host.computer.name)
                    }
                }
            }
        }
        for name in observation.missing {
            let holders = holders[ComputerName(name)] ?? []
            findings.append(
                .init(
                    .warning, name,
                    "no computer object of this name, yet \(holders.joined(separator: ", ")) delegate\(holders.count == 1 ? "s" : "") to it (a decommissioned host?): delegation to it cannot work"
                ))
        }
    }

    /// A service and name form a peer edge uses.
    struct PeerUse: Hashable {
        var service: String
        var form: NameForm
    }

    /// What a migration or cifs value names: an account (index in `hosts`, or -1 - index in `others`) in a
    /// name form.
    struct Resolution {
        /// `Microsoft Virtual System Migration Service` or `cifs`.
        var service: String
        var form: NameForm
        var target: Int
    }

    /// Only names a manifest can hold go further; the rest become findings.
    private mutating func admit() {
        var seen = Set<ComputerName>()
        for computer in observation.hosts {
            if let problem = ManifestLoader.computerNameProblem(computer.name) {
                findings.append(
                    .init(
                        .warning, Printable.escape(computer.name),
                        "a Hyper-V host whose name a manifest cannot hold (\(problem)); not imported"))
                continue
            }
            guard seen.insert(ComputerName(computer.name)).inserted else { continue }
            let uac = computer.userAccountControl
            hosts.append(
                Host(
                    computer: computer,
                    node: ImportedHost(
                        name: computer.name, dn: computer.dn, dnsHostName: computer.dnsHostName,
                        mode: uac.contains(.trustedToAuthForDelegation) ? .anyProtocol : .kerberosOnly,
                        unconstrained: uac.contains(.trustedForDelegation), userAccountControl: uac.flagNames,
                        values: computer.allowedToDelegateTo.count, cluster: nil, objectSid: computer.objectSid)))
            if uac.contains(.trustedForDelegation) {
                findings.append(
                    .init(
                        .security, computer.name,
                        "has unconstrained delegation (TRUSTED_FOR_DELEGATION, 0x80000): it may act for any user towards any service, the domain controllers included. Not imported as a mode: the first plan clears it."
                    ))
            }
        }
        hosts.sort { ComputerName($0.computer.name) < ComputerName($1.computer.name) }
        for computer in observation.others
        where ManifestLoader.computerNameProblem(computer.name) == nil
            && seen.insert(ComputerName(computer.name)).inserted
        {
            others.append(computer)
        }
        others.sort { ComputerName($0.name) < ComputerName($1.name) }
    }

    private mutating func index() {
        func fqdn(_ c: ObservedComputer) -> String { (c.dnsHostName ?? "\(c.name).\(domain)").asciiFastLowercased() }
        for (i, host) in hosts.enumerated() {
            names[host.computer.name.asciiFastLowercased()] = i
            fqdns[fqdn(host.computer)] = fqdns[fqdn(host.computer)] ?? i
        }
        for (i, other) in others.enumerated() {
            names[other.name.asciiFastLowercased()] = -1 - i
            fqdns[fqdn(other)] = fqdns[fqdn(other)] ?? -1 - i
        }
        for dc in observation.domainControllers {
            controllers[dc.name.asciiFastLowercased()] = dc.name
            if let dns = dc.dnsHostName { controllers[dns.asciiFastLowercased()] = dc.name }
        }
    }

    /// The account a migration or cifs value names, by its short name or FQDN; nil for any other value.
    private func resolve(_ spn: SPN) -> Resolution? {
        guard let service = spn.asciiServiceClass,
            service == Importer.migrationServiceKey || service == "cifs"
        else { return nil }
        let rest = String(spn.key.dropFirst(spn.serviceClass.utf8.count + 1))
        let canonical = service == "cifs" ? "cifs" : Importer.migrationService
        if let t = names[rest] { return Resolution(service: canonical, form: .short, target: t) }
        if let t = fqdns[rest] { return Resolution(service: canonical, form: .fqdn, target: t) }
        return nil
    }

    /// Delegation to a domain controller's services, or to the directory's and the KDC's service classes, is a
    /// path to the domain: said loudly wherever it is found, held, kept in the manifest or added by its
    /// expansion. Why, or nil.
    func danger(_ spn: SPN) -> String? {
        let service = spn.asciiServiceClass ?? ""
        let target = String(spn.host).asciiFastLowercased()
        let dc = controllers[target] ?? controllers[String(target.prefix { $0 != "." })]
        guard Importer.domainServiceClasses.contains(service) || dc != nil else { return nil }
        let what = dc.map { "a service of the domain controller \($0)" } ?? "the service class \(spn.serviceClass)"
        return "\(what): acting for any user there is a path to the whole domain"
    }

    /// What the expansion adds that no value read showed: a dangerous target declared through a peer's or a
    /// storage server's name (a DC pulled in as a host or storage, a dNSHostName that is a DC's) reaches hosts
    /// that do not hold it yet. Each is a SECURITY finding, a note on each host it reaches, and a summary line.
    mutating func checkFirstPlan(_ plan: Plan) -> [String] {
        var found: [String: (spn: SPN, why: String, hosts: [String])] = [:]
        for change in plan.changes {
            for spn in change.add {
                guard let why = dangerous[spn.key] ?? danger(spn) else { continue }
                found[spn.key, default: (spn, why, [])].hosts.append(change.host)
            }
        }
        var lines: [String] = []
        var perHost: [ComputerName: [String]] = [:]
        for (_, entry) in found.sorted(by: { $0.key < $1.key }) {
            let shown = Printable.escape(entry.spn.value)
            let who =
                entry.hosts.count == 1
                ? entry.hosts[0] : "\(entry.hosts.count) hosts (\(entry.hosts.joined(separator: ", ")))"
            lines.append(
                "SECURITY: the first plan adds delegation to \(shown) to \(who): \(entry.why); check the manifest before applying"
            )
            findings.append(
                .init(
                    .security, entry.hosts[0],
                    "the manifest declares delegation to \(shown), \(entry.why): the first plan adds it to \(entry.hosts.joined(separator: ", ")). Remove what declares it unless you know why it is there."
                ))
            for host in entry.hosts { perHost[ComputerName(host), default: []].append(shown) }
        }
        for i in clusters.indices {
            for host in clusters[i].cluster.hosts {
                guard let values = perHost[ComputerName(host)] else { continue }
                let note = "SECURITY: the first plan adds \(values.joined(separator: ", ")), a path to the domain"
                let key = ComputerName(host).key
                clusters[i].hostNotes[key] = clusters[i].hostNotes[key].map { $0 + "; " + note } ?? note
            }
        }
        return lines
    }

    /// A domain controller among a cluster's hosts: a finding, and the note for its entry.
    mutating func checkDomainController(_ computer: ObservedComputer, in cluster: String) -> String? {
        guard isDomainController(computer) else { return nil }
        findings.append(
            .init(
                .security, computer.name,
                "a domain controller in cluster \(cluster) (a host's migration value or resource-based grant names it, or it registers the migration service): the manifest would manage its delegation and bits, and every host of the cluster would delegate to its services as any user, a path to the whole domain. Remove it from the cluster unless you know why it is there."
            ))
        return
            "SECURITY: a domain controller: kcdctl would manage its delegation, and its peers would delegate to its services"
    }

    func isDomainController(_ computer: ObservedComputer) -> Bool {
        controllers[computer.name.asciiFastLowercased()] != nil
            || computer.userAccountControl.contains(.serverTrustAccount)
            || computer.userAccountControl.contains(.partialSecretsAccount)
    }

    /// The fqdn form of an account is its `dNSHostName` as the directory holds it: one that is not this
    /// computer's own DNS name (another first label, a DC's name, a `/`, `:`, space or non-ASCII byte) makes the
    /// manifest declare delegation to some other account or service. A finding, and the note for its entry.
    mutating func checkDNSHostName(_ computer: ObservedComputer, of cluster: String, storage: Bool) -> String? {
        guard let dns = computer.dnsHostName else { return nil }
        let shown = Printable.quoted(dns)
        let lowered = dns.asciiFastLowercased()
        let what =
            storage
            ? "every host of cluster \(cluster) delegates to cifs/\(shown)"
            : "every other host of cluster \(cluster) delegates to its services at \(shown)"
        if let dc = controllers[lowered], ComputerName(dc) != ComputerName(computer.name) {
            findings.append(
                .init(
                    .security, computer.name,
                    "its dNSHostName \(shown) is the domain controller \(dc)'s: with the fqdn name form \(what), a path to the whole domain. Correct the computer object before applying."
                ))
            return "SECURITY: its dNSHostName \(shown) is the domain controller \(dc)'s"
        }
        let firstLabel = lowered.prefix { $0 != "." }
        guard !Importer.isDNSName(dns) || firstLabel != Substring(computer.name.asciiFastLowercased()) else {
            return nil
        }
        findings.append(
            .init(
                .warning, computer.name,
                "its dNSHostName \(shown) is not \(computer.name)'s own DNS name (\(Printable.escape(computer.name)).<domain>, letters, digits, '-' and '.'): with the fqdn name form \(what). Correct the computer object before applying."
            ))
        return "WARNING: its dNSHostName \(shown) is not its own DNS name"
    }

    /// Connected components over the (undirected) peer and resource-based edges, each sorted; hosts with no
    /// value at all and in no resource-based edge excluded.
    private func connected(_ peers: [[Int]], resourceBased: [[Int]]) -> [[Int]] {
        var parent = UnionFind(hosts.count)
        var linked = Set<Int>()
        for (h, targets) in peers.enumerated() {
            linked.formUnion(targets)
            for t in targets { parent.union(h, t) }
        }
        for (h, targets) in resourceBased.enumerated() where !targets.isEmpty {
            linked.insert(h)
            linked.formUnion(targets)
            for t in targets { parent.union(h, t) }
        }
        var groups: [Int: [Int]] = [:]
        for h in hosts.indices {
            // A host without any value joins a cluster only when a peer delegates to it, or by a grant.
            if hosts[h].computer.allowedToDelegateTo.isEmpty && !linked.contains(h) { continue }
            groups[parent.root(h), default: []].append(h)
        }
        return groups.keys.sorted().map { groups[$0]! }
    }

    private mutating func cluster(
        _ members: [Int], storage: [[Int]], otherValues: [[SPN]], peerUse: [Set<PeerUse>]
    ) {
        let hostNames = members.map { hosts[$0].computer.name }
        let first = hostNames[0]
        let used = members.reduce(into: Set<PeerUse>()) { $0.formUnion(peerUse[$1]) }
        // services and name forms: those the peer edges use, in the manifest's order.
        let usedServices = Set(used.map(\.service))
        var services = Manifest.defaultServices.filter { usedServices.contains($0) }
        if services.isEmpty { services = Manifest.defaultServices }
        let usedForms = Set(used.map(\.form))
        var forms = NameForm.allCases.filter { usedForms.contains($0) }
        if forms.isEmpty { forms = NameForm.allCases }

        // mode: the majority of those without unconstrained delegation.
        let voters = members.filter { !hosts[$0].node.unconstrained }
        let counted = voters.isEmpty ? members : voters
        let anyProtocol = counted.filter { hosts[$0].node.mode == .anyProtocol }
        let mode: DelegationMode = anyProtocol.count * 2 >= counted.count ? .anyProtocol : .kerberosOnly
        let dissenters = counted.filter { hosts[$0].node.mode != mode }.map { hosts[$0].computer.name }

        // storage: every non-host computer whose cifs service some member delegates to.
        var storageIndices = Set<Int>()
        for m in members { storageIndices.formUnion(storage[m]) }
        let smbStorage = storageIndices.map { $0 >= 0 ? hosts[$0].computer : others[-1 - $0] }
            .sorted { ComputerName($0.name) < ComputerName($1.name) }

        // extra targets: valid values outside the edges that every member holds.
        var holders: [String: (spn: SPN, count: Int)] = [:]
        for m in members {
            for spn in Set(otherValues[m]) { holders[spn.key, default: (spn, 0)].count += 1 }
        }
        let extra = holders.values.filter { $0.count == members.count }.map(\.spn).sorted()
        let partial = holders.values.filter { $0.count < members.count }.map(\.spn).sorted()

        let name = "cluster-" + first.asciiFastLowercased()
        var notes: [String] = []
        if members.count == 1 {
            notes.append(
                "\(first) delegates to no other Hyper-V host: a cluster of its own (for its storage or other targets).")
        } else {
            notes.append("\(members.count) Hyper-V hosts that delegate to each other's migration or cifs service.")
            notes.append(
                "services \(services.joined(separator: ", ")) and nameForms \(forms.map(\.rawValue).joined(separator: ", ")): those their values use."
            )
        }
        let bit = "TRUSTED_TO_AUTH_FOR_DELEGATION (Use any authentication protocol)"
        if dissenters.isEmpty {
            notes.append(
                "mode \(mode.rawValue): \(counted.count == 1 ? "its host \(mode == .anyProtocol ? "has" : "lacks")" : "all \(counted.count) hosts \(mode == .anyProtocol ? "have" : "lack")") \(bit)."
            )
        } else {
            notes.append(
                "mode \(mode.rawValue): the majority (\(counted.count - dissenters.count) of \(counted.count)); \(dissenters.joined(separator: ", ")) \(dissenters.count == 1 ? "is" : "are") \(mode == .anyProtocol ? "kerberos-only" : "any-protocol"): the first plan changes \(dissenters.count == 1 ? "it" : "them")."
            )
            findings.append(
                .init(
                    .warning, first,
                    "cluster \(name) is \(mode.rawValue) by majority; \(dissenters.joined(separator: ", ")) \(dissenters.count == 1 ? "is" : "are") not: the first plan changes their userAccountControl. Check which mode is right (live migration over WinRM, Windows Server 2016 and later, needs any-protocol)."
                ))
        }
        if members.count > 1, anyProtocol.isEmpty {
            notes.append(
                "kerberos-only: live migration over WinRM (Windows Server 2016 and later) fails with 0x8009030E.")
        }
        for spn in partial {
            let who = members.filter { otherValues[$0].contains(spn) }.map { hosts[$0].computer.name }
            let managed =
                spn.asciiServiceClass.map {
                    Set(services.map { $0.lowercased() }).union(smbStorage.isEmpty ? [] : ["cifs"]).contains($0)
                } ?? false
            findings.append(
                .init(
                    managed ? .warning : .note, who[0],
                    "\(who.joined(separator: ", ")) delegate\(who.count == 1 ? "s" : "") to \(Printable.escape(spn.value)), which not every host of cluster \(name) does: not imported; "
                        + (managed
                            ? "its service class is managed, so the first plan removes it"
                            : "kcdctl leaves it as it is (not a managed service class)")))
        }

        var imported = ImportedCluster(
            cluster: Cluster(
                name: name, mode: mode, services: services, nameForms: forms, hosts: hostNames,
                smbStorage: smbStorage.map(\.name), extraTargets: extra, prune: .managed),
            notes: notes)
        for server in smbStorage {
            var notes: [String] = []
            if isDomainController(server) {
                notes.append("SECURITY: a domain controller: cifs on a DC as any user is a path to the whole domain")
            }
            if let note = checkDNSHostName(server, of: name, storage: true) { notes.append(note) }
            if !notes.isEmpty { imported.storageNotes[ComputerName(server.name).key] = notes.joined(separator: "; ") }
        }
        for m in members {
            let computer = hosts[m].computer
            var notes: [String] = []
            if let note = checkDomainController(computer, in: name) { notes.append(note) }
            if forms.contains(.fqdn), let note = checkDNSHostName(computer, of: name, storage: false) {
                notes.append(note)
            }
            if !notes.isEmpty { imported.hostNotes[ComputerName(computer.name).key] = notes.joined(separator: "; ") }
        }
        for spn in extra {
            var note = "held by every host of the cluster"
            if let why = dangerous[spn.key] {
                note = "SECURITY: " + why + "; remove it unless you know why it is there"
            } else if let owner = Optional(String(spn.host.prefix { $0 != "." })),
                spn.asciiServiceClass == "cifs" || spn.asciiServiceClass == Importer.migrationServiceKey,
                observation.missing.contains(where: { ComputerName($0) == ComputerName(owner) })
            {
                note += "; \(owner) has no computer object: delegation to it cannot work"
            }
            imported.extraTargetNotes[spn.key] = note
        }
        clusters.append(imported)
    }
}

/// Disjoint sets of host indices, with path halving.
struct UnionFind {
    private var parent: [Int]

    init(_ count: Int) { parent = Array(0..<count) }

    mutating func root(_ i: Int) -> Int {
        var i = i
        while parent[i] != i {
            parent[i] = parent[parent[i]]
            i = parent[i]
        }
        return i
    }

    mutating func union(_ a: Int, _ b: Int) {
        let (x, y) = (root(a), root(b))
        if x != y { parent[max(x, y)] = min(x, y) }
    }
}

extension Importer {
    /// A DNS name as `dNSHostName` must be: labels of ASCII letters, digits and `-`, 1 to 63 bytes each, at
    /// most 253 bytes in all.
    static func isDNSName(_ name: String) -> Bool {
        name.utf8.count <= 253
            && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy {
                        $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                            || (0x61...0x7A).contains($0)
                    }
            }
    }
}
