import KCDCore

/// The reads `kcdctl import` needs: one paged search for the computers registering the migration service,
/// the computers their delegation names through the batched `computers(named:)`, and one search for the
/// domain controllers. Nothing is written.
extension ActiveDirectory: ImportDirectory {
    public func computers(registering serviceClass: String, under base: String?) throws -> [ObservedComputer] {
        // A substring filter: the class is escaped (RFC 4515), then `/*` matches any host.
        let filter = "(&(objectClass=computer)(servicePrincipalName=\(LDAPFilter.escape(serviceClass))/*))"
        let entries = try connection.search(
            base: base ?? baseDN, scope: .subtree, filter: filter, attributes: computerAttributes, pageSize: pageSize,
            binary: Self.binaryAttributes)
        return try entries.compactMap { Self.computer(try completed($0)) }
    }

    /// Writable (SERVER_TRUST_ACCOUNT, 0x2000) and read-only (PARTIAL_SECRETS_ACCOUNT, 0x4000000) domain
    /// controllers, by the bitwise-AND matching rule (LDAP_MATCHING_RULE_BIT_AND).
    public func domainControllers() throws -> [ObservedComputer] {
        let rule = "userAccountControl:1.2.840.113556.1.4.803:="
        let filter = "(&(objectClass=computer)(|(\(rule)8192)(\(rule)67108864)))"
        return try connection.search(
            base: baseDN, scope: .subtree, filter: filter,
            attributes: ["sAMAccountName", "dNSHostName", "userAccountControl"], pageSize: pageSize
        ).compactMap(Self.computer)
    }
}
