/// `kcdctl whoami`: who the directory sees, how kcdctl bound, and how the connection is protected.
public enum WhoamiText {
    /// How to find the bound account's DN.
    public enum AccountLookup: Equatable, Sendable {
        /// Known without a search: a `dn:` authzid, or a bind DN.
        case known(String)
        /// Search for this sAMAccountName.
        case search(String)
    }

    /// From a `dn:` authzid, or by the name in a `u:DOMAIN\name` authzid; without an authzid, the bind DN, or
    /// the name part of a `user@realm` bind identity.
    public static func accountLookup(authzid: String?, bound: String) -> AccountLookup {
        if let authzid, authzid.hasPrefix("dn:") { return .known(String(authzid.dropFirst(3))) }
        let name = authzid.map { String($0.drop { $0 != "\\" }.dropFirst()) } ?? ""
        guard name.isEmpty else { return .search(name) }
        return bound.contains("=") ? .known(bound) : .search(String(bound.prefix { $0 != "@" }))
    }

    /// What a bound connection is, as the directory and libldap report it.
    public struct Facts: Sendable {
        /// The LDAP Who-am-I answer; nil where the server does not implement it.
        public var authzid: String?
        /// The bind DN, or the Kerberos principal.
        public var bindIdentity: String
        /// `simple` or `GSSAPI`.
        public var bindMethod: String?
        /// Where a GSSAPI bind's credentials came from.
        public var credentialSource: String?
        /// `TLS (ldaps://)`, `StartTLS` or `none`.
        public var transport: String
        public var ssf: Int?
        public var certificateVerified: Bool?
        /// directory.tls.caFile; nil for the system trust store.
        public var caFile: String?
        /// The account's DN; nil when it was not found.
        public var accountDN: String?
        public var uri: String
        public var baseDN: String
        /// The DC bound to and how it was found; nil: not told.
        public var domainController: DomainControllerCandidate?
        /// The DCs tried before it, and why each was not used.
        public var tried: [DomainControllerAttempt]

        public init(
            authzid: String?, bindIdentity: String, bindMethod: String?, credentialSource: String?,
            transport: String, ssf: Int?, certificateVerified: Bool?, caFile: String?, accountDN: String?,
            uri: String, baseDN: String, domainController: DomainControllerCandidate? = nil,
            tried: [DomainControllerAttempt] = []
        ) {
            (self.domainController, self.tried) = (domainController, tried)
            (self.authzid, self.bindIdentity, self.bindMethod) = (authzid, bindIdentity, bindMethod)
            (self.credentialSource, self.transport, self.ssf) = (credentialSource, transport, ssf)
            (self.certificateVerified, self.caFile, self.accountDN) = (certificateVerified, caFile, accountDN)
            (self.uri, self.baseDN) = (uri, baseDN)
        }
    }

    public static func render(_ facts: Facts) -> String {
        let identity =
            facts.authzid.map { "\($0)  (LDAP Who-am-I)" }
            ?? "\(facts.bindIdentity)  (as bound; this server does not implement LDAP Who-am-I)"
        var bind = facts.bindMethod ?? "none"
        if bind == "GSSAPI" {
            bind += " (Kerberos) as \(facts.bindIdentity), credentials from \(facts.credentialSource ?? "?")"
        }
        let protection: String
        switch (facts.transport, facts.ssf) {
        case ("none", let ssf?) where ssf > 0: protection = "SASL sealing (GSSAPI), security strength factor \(ssf)"
        case ("none", _): protection = "NONE: the connection is not encrypted"
        case (let transport, _):
            let trust = facts.caFile.map { "CA file \($0)" } ?? "the system trust store"
            protection =
                transport
                + (facts.certificateVerified == true
                    ? ", certificate and name verified against \(trust)"
                    : ", certificate NOT verified (insecureSkipVerify)")
        }
        return """
            identity:   \(identity)
            account:    \(facts.accountDN ?? "(not found under \(facts.baseDN))")
            bind:       \(bind)
            protection: \(protection)
            server:     \(facts.uri)

            """ + domainControllerLines(facts)
    }

    /// `Domain controller: dc1.corp.example.com (ldaps://dc1.corp.example.com:636), found by DNS SRV …`, then
    /// `tried <host>: <reason>` for each DC passed over before it.
    static func domainControllerLines(_ facts: Facts) -> String {
        guard let dc = facts.domainController else { return "" }
        var text = "Domain controller: \(dc.host) (\(dc.uri)), \(dc.foundBy)\n"
        for attempt in facts.tried {
            text += "tried \(attempt.host): \(attempt.reason.replacingOccurrences(of: "\n", with: " "))\n"
        }
        return text
    }
}
