import KCDCore

/// The extra reads `kcdctl doctor` needs, batched like the computer reads.
extension ActiveDirectory: DoctorDirectory {
    /// For each SPN (lowercased key), the accounts in the domain that register it.
    public func spnHolders(_ spns: [SPN]) throws -> [String: [String]] {
        let wanted = Set(spns.map(\.key))
        var holders: [String: [String]] = [:]
        var start = spns.startIndex
        while start < spns.endIndex {
            let batch = spns[start..<min(start + batchSize, spns.endIndex)]
            start = batch.endIndex
            let entries = try connection.search(
                base: baseDN, scope: .subtree, filter: LDAPFilter.anyOf("servicePrincipalName", batch.map(\.value)),
                attributes: ["sAMAccountName", "servicePrincipalName"], pageSize: pageSize)
            for entry in entries {
                let account = entry["sAMAccountName"].first ?? entry.dn
                for spn in entry["servicePrincipalName"].map(SPN.init) where wanted.contains(spn.key) {
                    holders[spn.key, default: []].append(account)
                }
            }
        }
        return holders
    }

    /// The users who start migrations: whether they exist, NOT_DELEGATED, and membership of Protected Users
    /// (RID 525), direct or nested (LDAP_MATCHING_RULE_IN_CHAIN).
    public func users(named names: [String]) throws -> [UserFacts] {
        guard !names.isEmpty else { return [] }
        let accounts = names.map { String($0.prefix { $0 != "@" }) }
        let entries = try connection.search(
            base: baseDN, scope: .subtree,
            filter: "(&(objectClass=user)\(LDAPFilter.anyOf("sAMAccountName", accounts)))",
            attributes: ["sAMAccountName", "userAccountControl", "memberOf"], pageSize: pageSize)
        var byName: [String: LDAPEntry] = [:]
        for entry in entries { byName[(entry["sAMAccountName"].first ?? "").lowercased()] = entry }

        var protected: Set<String> = []
        var protectedGroups: [String: String] = [:]
        if let group = try protectedUsersDN(), !entries.isEmpty {
            let chain = "memberOf:1.2.840.113556.1.4.1941:=\(LDAPFilter.escape(group))"
            let members = try connection.search(
                base: baseDN, scope: .subtree,
                filter: "(&(objectClass=user)\(LDAPFilter.anyOf("sAMAccountName", accounts))(\(chain)))",
                attributes: ["sAMAccountName"], pageSize: pageSize)
            protected = Set(members.compactMap { $0["sAMAccountName"].first?.lowercased() })
            if !protected.isEmpty {
                let groups = try connection.search(
                    base: baseDN, scope: .subtree, filter: "(&(objectClass=group)(\(chain)))", attributes: ["cn"],
                    pageSize: pageSize)
                for g in groups { protectedGroups[g.dn.lowercased()] = g["cn"].first ?? g.dn }
            }
            protectedGroups[group.lowercased()] = ""
        }

        return zip(names, accounts).map { name, account in
            guard let entry = byName[account.lowercased()] else { return UserFacts(name: name, dn: nil) }
            var via: String?
            if protected.contains(account.lowercased()) {
                // Direct membership shows as "", else the first of the user's groups that is inside Protected Users.
                via =
                    entry["memberOf"].lazy.compactMap { protectedGroups[$0.lowercased()] }
                    .min { $0.count < $1.count } ?? "a nested group"
            }
            return UserFacts(
                name: name, dn: entry.dn,
                userAccountControl:
                    entry["userAccountControl"].first.flatMap(UserAccountControl.init(ldapValue:)) ?? [],
                protectedUsersVia: via)
        }
    }

    /// The DN of the domain's Protected Users group, found by its SID (domain SID + RID 525), or nil.
    func protectedUsersDN() throws -> String? {
        let domain = try connection.search(
            base: baseDN, scope: .base, filter: "(objectClass=*)", attributes: ["objectSid"], binary: ["objectSid"])
        guard let filter = Self.protectedUsersFilter(domainSID: domain.first?["objectSid"] ?? []) else { return nil }
        let groups = try connection.search(base: baseDN, scope: .subtree, filter: filter, attributes: ["cn"])
        return groups.first?.dn
    }

    /// `(objectSid=S-1-5-21-…-525)`, Protected Users of the domain whose `objectSid` (base64) is given; nil unless
    /// that is exactly one well-formed SID.
    static func protectedUsersFilter(domainSID values: [String]) -> String? {
        guard let sid = singleSID(values) else { return nil }
        return "(objectSid=\(sid)-525)"
    }
}
