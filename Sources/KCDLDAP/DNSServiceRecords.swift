// DNS SRV lookups through libldap's ldap_domain2hostlist (res_query underneath): no DNS client of our own.
internal import CLDAP
import KCDCore

/// The SRV records of a name, as libldap looks them up and orders them.
public enum DNSServiceRecords {
    /// The answer for `_ldap._tcp.<query.name>`: "host:port host:port…", sorted by priority and shuffled by
    /// weight within a priority (RFC 2782); nil when the name has no such records. The text is hostile: it is
    /// `DomainControllerDiscovery.parseHostList`'s to check.
    public static func hostList(_ query: DomainControllerDiscovery.Query) throws -> String? {
        guard !query.name.isEmpty, !query.name.utf8.contains(0) else {
            throw LDAPError(code: .paramError, operation: "DNS SRV lookup", diagnostic: "empty name")
        }
        var list: UnsafeMutablePointer<CChar>?
        let rc = ldap_domain2hostlist(query.name, &list)
        defer { if let list { ldap_memfree(list) } }
        switch LDAPResultCode(rc) {
        case .success:
            guard let list else { return nil }
            // At most what one DNS message can carry (libldap's own buffer is 64 KiB).
            let length = strnlen(list, 1 << 16)
            return String(decoding: UnsafeRawBufferPointer(start: list, count: length), as: UTF8.self)
        case .unavailable:
            return nil
        default:
            throw LDAPError(
                code: LDAPResultCode(rc), operation: "DNS SRV lookup of \(query.record)",
                diagnostic: "libldap's ldap_domain2hostlist failed")
        }
    }
}
