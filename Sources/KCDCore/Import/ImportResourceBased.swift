/// Resource-based constrained delegation in `kcdctl import` (docs/adopting.md): which grants in the hosts'
/// `msDS-AllowedToActOnBehalfOfOtherIdentity` are edges between Hyper-V hosts, the clusters they make, and what
/// import says about every other grant. Pure.
extension Inference {
    /// The resource-based edges: per host A, the hosts B whose descriptor grants A's objectSid by an ACE of
    /// kcdctl's form (A may delegate to B), and the same as `ImportEdge`s, sorted.
    ///
    /// A host takes part in no edge, neither granting nor granted, when its descriptor does not decode or it has no
    /// objectSid of its own (or one another host has too): the reconciler refuses to plan a resource-based host
    /// whose value it cannot read, or whose peers it cannot name. Grants that are no edge are kept for
    /// `reportGrants`, and ACEs of any other form are counted in a note: kcdctl never changes them.
    mutating func resourceBasedEdges() -> (targets: [[Int]], edges: [ImportEdge]) {
        var targets: [[Int]] = Array(repeating: [], count: hosts.count)
        var edges: [ImportEdge] = []
        var bySID: [SecurityIdentifier: [Int]] = [:]
        for (h, host) in hosts.enumerated() {
            if let sid = host.computer.objectSid { bySID[sid, default: []].append(h) }
        }
        // Every computer read, by SID: who a grant names when it is not a host (escaped).
        var accounts: [SecurityIdentifier: String] = [:]
        for computer in observation.hosts + observation.others {
            if let sid = computer.objectSid, accounts[sid] == nil {
                accounts[sid] = Printable.quoted(computer.name + "$")
            }
        }
        var descriptors: [SecurityDescriptor?] = Array(repeating: nil, count: hosts.count)
        var eligible = Array(repeating: true, count: hosts.count)
        let attribute = ResourceBasedChange.attribute
        for (h, host) in hosts.enumerated() {
            guard let bytes = host.computer.allowedToActOnBehalf else { continue }
            do {
                descriptors[h] = try SecurityDescriptor(decoding: bytes)
            } catch {
                eligible[h] = false
                withoutResourceBased.insert(h)
                findings.append(
                    .init(
                        .warning, host.computer.name,
                        "its \(attribute) is not a valid security descriptor (\(Printable.escape(error.description))): its resource-based delegation is not imported, and it is in no resource-based cluster (kcdctl cannot plan one whose value it cannot read). Fix or clear the value, then import again."
                    ))
            }
        }
        for (sid, holders) in bySID.sorted(by: { $0.key.description < $1.key.description }) where holders.count > 1 {
            let names = holders.map { hosts[$0].computer.name }
            for h in holders {
                eligible[h] = false
                withoutResourceBased.insert(h)
                findings.append(
                    .init(
                        .warning, hosts[h].computer.name,
                        "its objectSid \(sid) is also that of \(names.filter { $0 != hosts[h].computer.name }.joined(separator: ", ")): a grant to it names several hosts, so it takes part in no resource-based delegation import infers"
                    ))
            }
        }
        for (h, host) in hosts.enumerated() where host.computer.objectSid == nil {
            eligible[h] = false
            let granted = descriptors[h]?.kcdctlGrants ?? []
            guard !granted.isEmpty else { continue }
            withoutResourceBased.insert(h)
            findings.append(
                .init(
                    .warning, host.computer.name,
                    "its \(attribute) allows \(granted.count) account\(granted.count == 1 ? "" : "s") in kcdctl's form, but it has no readable objectSid: the other hosts of a resource-based cluster could not be made to allow it, so its resource-based delegation is not imported"
                ))
        }
        for (b, descriptor) in descriptors.enumerated() {
            guard let descriptor, eligible[b] else { continue }
            let name = hosts[b].computer.name
            for sid in descriptor.kcdctlGrants {
                if let holders = bySID[sid], holders.count == 1, holders[0] != b, eligible[holders[0]] {
                    let a = holders[0]
                    targets[a].append(b)
                    edges.append(
                        ImportEdge(
                            from: hosts[a].computer.name, to: name, kind: .resourceBased, service: nil, form: nil,
                            value: sid.description))
                    continue
                }
                let who: String
                let why: String
                if let holders = bySID[sid], holders == [b] {
                    (who, why) = ("itself (\(sid))", "a host does not delegate to itself")
                } else if let holders = bySID[sid] {
                    who = "\(hosts[holders[0]].computer.name)$ (\(sid))"
                    why =
                        "a Hyper-V host that takes part in no resource-based delegation import infers (see its finding)"
                } else if let account = accounts[sid] {
                    (who, why) = ("\(account) (\(sid))", "a computer that is not a Hyper-V host")
                } else if let owner = observation.sidOwners[sid] {
                    who = "\(Printable.quoted(owner.accountName)) (\(sid))"
                    why = owner.isComputer ? "a computer that is not a Hyper-V host" : "not a computer"
                } else {
                    (who, why) = (
                        sid.description, "no account of the directory has this SID (deleted, or another domain's)"
                    )
                }
                unmatchedGrants.append((b, sid, who, why))
            }
            let foreign = descriptor.dacl?.entries.filter { $0.kcdctlGrantee == nil }.count ?? 0
            if foreign > 0 {
                findings.append(
                    .init(
                        .note, name,
                        "its \(attribute) holds \(foreign) ACE\(foreign == 1 ? "" : "s") not of the form kcdctl writes (another ACE type, access mask or flags): not imported; kcdctl never changes \(foreign == 1 ? "it" : "them")"
                    ))
            }
        }
        edges.sort { (ComputerName($0.from), ComputerName($0.to)) < (ComputerName($1.from), ComputerName($1.to)) }
        return (targets, edges)
    }

    /// A group of hosts joined only by resource-based edges: a cluster in mode resource-based. Its services and
    /// name forms are the defaults (what doctor and verify check on the peers); it can declare no SMB storage and
    /// no extra target, so the classic values its hosts hold are findings: the first plan removes those of a
    /// managed service class.
    mutating func resourceBasedCluster(_ members: [Int], grants: Int) {
        let hostNames = members.map { hosts[$0].computer.name }
        let name = "cluster-" + hostNames[0].asciiFastLowercased()
        let services = Manifest.defaultServices
        var notes = [
            "\(members.count) Hyper-V hosts that allow each other by resource-based delegation (\(grants) grant\(grants == 1 ? "" : "s") of kcdctl's form in their \(ResourceBasedChange.attribute)); none delegates to another by msDS-AllowedToDelegateTo.",
            "mode resource-based: each host allows every other host of the cluster; services and nameForms are the defaults (what doctor and verify check on the peers; prune: managed removes classic values of these services).",
        ]
        let bit = members.filter {
            hosts[$0].computer.userAccountControl.contains(.trustedToAuthForDelegation)
        }.map { hosts[$0].computer.name }
        if !bit.isEmpty {
            let list = bit.joined(separator: ", ")
            notes.append(
                "\(list) \(bit.count == 1 ? "has" : "have") TRUSTED_TO_AUTH_FOR_DELEGATION, which resource-based delegation does not use: the first plan clears it."
            )
            findings.append(
                .init(
                    .note, bit[0],
                    "cluster \(name) is resource-based; \(list) \(bit.count == 1 ? "has" : "have") TRUSTED_TO_AUTH_FOR_DELEGATION (any-protocol), which resource-based delegation does not use: the first plan clears it"
                ))
        }
        // Classic values: a resource-based cluster declares none of them.
        var held: [String: (spn: SPN, hosts: [String])] = [:]
        for m in members {
            var seen = Set<String>()
            for value in hosts[m].computer.allowedToDelegateTo where SPN.problem(with: value) == nil {
                let spn = SPN(value)
                if seen.insert(spn.key).inserted {
                    held[spn.key, default: (spn, [])].hosts.append(hosts[m].computer.name)
                }
            }
        }
        let managed = Set(services.map { $0.lowercased() })
        for (_, entry) in held.sorted(by: { $0.key < $1.key }) {
            let removed = entry.spn.asciiServiceClass.map(managed.contains) ?? false
            let who = entry.hosts
            findings.append(
                .init(
                    removed ? .warning : .note, who[0],
                    "\(who.joined(separator: ", ")) delegate\(who.count == 1 ? "s" : "") to \(Printable.escape(entry.spn.value)) by msDS-AllowedToDelegateTo, which the resource-based cluster \(name) cannot declare: "
                        + (removed
                            ? "its service class is managed, so the first plan removes it. To keep it, grant it on its target by resource-based delegation, or make the cluster classic"
                            : "kcdctl leaves it as it is (not a managed service class)")))
        }
        var imported = ImportedCluster(
            cluster: Cluster(
                name: name, mode: .resourceBased, services: services, nameForms: NameForm.allCases, hosts: hostNames,
                prune: .managed),
            notes: notes)
        for m in members {
            let computer = hosts[m].computer
            if let note = checkDomainController(computer, in: name) {
                imported.hostNotes[ComputerName(computer.name).key] = note
            }
        }
        clusters.append(imported)
    }

    /// The cluster just inferred is classic, and its hosts also allow each other by resource-based delegation:
    /// classic wins, and the first plan revokes those grants. Said in a note and a warning.
    mutating func mixed(grants: Int) {
        let i = clusters.count - 1
        let c = clusters[i].cluster
        let them = "\(grants) resource-based grant\(grants == 1 ? "" : "s")"
        clusters[i].notes.append(
            "Its hosts also allow each other by resource-based delegation (\(them)): a cluster is classic when any of its hosts delegates to another by msDS-AllowedToDelegateTo, so the first plan revokes \(grants == 1 ? "it" : "them")."
        )
        findings.append(
            .init(
                .warning, c.hosts[0],
                "cluster \(c.name) mixes classic delegation (msDS-AllowedToDelegateTo between its hosts) and \(them) among them: import makes it \(c.mode.rawValue) (classic wins), so the first plan revokes the grants. To keep resource-based delegation instead, set mode: resource-based and remove smbStorage and extraTargets: the first plan then removes the classic values."
            ))
    }

    /// The grants that are no edge, once the first plan says what it does with them: a warning when it revokes
    /// them (`prune: managed` in a resource-based cluster revokes grants of kcdctl's form to computers outside it;
    /// a classic cluster revokes grants to the manifest's hosts), else a note. One finding per grantee.
    mutating func reportGrants(_ plan: Plan) {
        var revoked: [ComputerName: Set<SecurityIdentifier>] = [:]
        var modes: [ComputerName: DelegationMode] = [:]
        for change in plan.changes {
            guard let rbcd = change.resourceBased, !rbcd.revoke.isEmpty else { continue }
            revoked[ComputerName(change.host)] = Set(rbcd.revoke.map(\.sid))
            modes[ComputerName(change.host)] = change.mode
        }
        var grouped: [(key: String, who: String, why: String, revokes: Bool, hosts: [Int])] = []
        var index: [String: Int] = [:]
        for grant in unmatchedGrants {
            let host = ComputerName(hosts[grant.host].computer.name)
            let revokes = revoked[host]?.contains(grant.sid) == true
            // A grant of itself reads differently on each host: not grouped.
            let key = "\(grant.sid) \(revokes) " + (grant.who.hasPrefix("itself") ? host.key : "")
            if let i = index[key] {
                grouped[i].hosts.append(grant.host)
            } else {
                index[key] = grouped.count
                grouped.append((key, grant.who, grant.why, revokes, [grant.host]))
            }
        }
        let attribute = ResourceBasedChange.attribute
        for entry in grouped {
            let names = entry.hosts.map { hosts[$0].computer.name }
            let first = ComputerName(names[0])
            let why =
                modes[first]?.isResourceBased == true
                ? "prune: managed revokes the grants of kcdctl's form to computers outside a resource-based cluster; prune: none on the cluster keeps it"
                : "a grant to a host of the manifest on a host of a classic cluster"
            findings.append(
                .init(
                    entry.revokes ? .warning : .note, names[0],
                    "\(names.joined(separator: ", ")) allow\(names.count == 1 ? "s" : "") \(entry.who) to delegate to \(names.count == 1 ? "it" : "them") (\(attribute), an ACE of kcdctl's form): \(entry.why), so not imported; "
                        + (entry.revokes
                            ? "the first plan revokes it (\(why))" : "kcdctl leaves it as it is")))
        }
    }

    /// Who the SIDs granted in the hosts' descriptors are, as `kcdctl plan` on the written manifest reads them
    /// (`Reconciliation.sidOwners`): any account but the manifest's own (hosts and storage servers), whose SIDs it
    /// knows from reading them. Computers import read are known by their objectSid; the rest were asked.
    func sidOwners(for manifest: Manifest) -> [SecurityIdentifier: SIDOwner] {
        var owners = observation.sidOwners
        let read = observation.hosts + observation.others
        for computer in read {
            if let sid = computer.objectSid, owners[sid] == nil {
                owners[sid] = SIDOwner(accountName: computer.name + "$", isComputer: true)
            }
        }
        let accounts = Set(manifest.accountNames.map(ComputerName.init))
        let own = Set(read.filter { accounts.contains(ComputerName($0.name)) }.compactMap(\.objectSid))
        return owners.filter { !own.contains($0.key) }
    }
}
