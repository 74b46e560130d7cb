// Searching: one request (or one per page, through the paged results control) and the entries it returns,
// read out of libldap's messages into Swift values.
internal import CLDAP
import Foundation

extension LDAPConnection {
    public enum Scope: Int32, Sendable {
        case base = 0
        case oneLevel = 1
        case subtree = 2
    }

    /// A search; with `pageSize`, through the paged results control until the server's cookie is empty.
    /// - Parameter binary: attributes whose values are bytes (e.g. `objectSid`): they come back base64-encoded.
    public func search(
        base: String, scope: Scope, filter: String, attributes: [String], pageSize: Int? = nil,
        binary: Set<String> = []
    ) throws -> [LDAPEntry] {
        let c = CAllocations()
        let attrs = try c.stringList(attributes)
        let cBase = try c.string(base)
        let cFilter = try c.string(filter)
        let binary = Set(binary.map { $0.lowercased() })
        var entries: [LDAPEntry] = []
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { ber_memfree(cookie.bv_val) }

        repeat {
            var pageControl: UnsafeMutablePointer<LDAPControl>?
            defer { ldap_control_free(pageControl) }
            if let pageSize { pageControl = try makePageControl(size: pageSize, after: &cookie) }
            var controls: [UnsafeMutablePointer<LDAPControl>?] = [pageControl, nil]
            var result: OpaquePointer?
            defer { ldap_msgfree(result) }
            logger.debug(
                "LDAP search",
                metadata: [
                    "base": "\(base)", "scope": "\(scope)", "filter": "\(filter)",
                    "attributes": "\(attributes.joined(separator: ","))",
                ])
            counters.searchRequests += 1
            let rc = controls.withUnsafeMutableBufferPointer { ctrls in
                blocking {
                    ldap_search_ext_s(
                        ld, cBase, scope.rawValue, cFilter, attrs, 0,
                        pageSize == nil ? nil : ctrls.baseAddress, nil, &timeout, LDAP_NO_LIMIT, &result)
                }
            }
            try check(rc, "search", dn: base, result: result)
            guard let result else { throw error(.noResultsReturned, "search", dn: base) }
            entries += readEntries(result, binary: binary)

            ber_memfree(cookie.bv_val)
            cookie = berval(bv_len: 0, bv_val: nil)
            if pageSize != nil {
                cookie = try nextCookie(result)
            }
        } while cookie.bv_len > 0
        return entries
    }

    /// The paged results control (critical) asking for `size` entries after `cookie`; from the first one
    /// without a cookie.
    private func makePageControl(size: Int, after cookie: inout berval) throws -> UnsafeMutablePointer<LDAPControl>? {
        var control: UnsafeMutablePointer<LDAPControl>?
        let rc =
            cookie.bv_val == nil
            ? ldap_create_page_control(ld, ber_int_t(size), nil, 1, &control)
            : ldap_create_page_control(ld, ber_int_t(size), &cookie, 1, &control)
        try check(rc, "paged search setup")
        return control
    }

    private func readEntries(_ result: OpaquePointer, binary: Set<String>) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var message = ldap_first_entry(ld, result)
        while let entry = message {
            defer { message = ldap_next_entry(ld, entry) }
            guard let dnPointer = ldap_get_dn(ld, entry) else { continue }
            let dn = String(cString: dnPointer)
            ldap_memfree(dnPointer)
            entries.append(LDAPEntry(dn: dn, attributes: readAttributes(entry, binary: binary)))
        }
        return entries
    }

    /// Every attribute of one entry with all its values, keyed by the lowercased attribute description.
    private func readAttributes(_ entry: OpaquePointer, binary: Set<String>) -> [String: [String]] {
        var attributes: [String: [String]] = [:]
        var ber: OpaquePointer?
        defer { ber_free(ber, 0) }
        var attribute = ldap_first_attribute(ld, entry, &ber)
        while let name = attribute {
            let key = String(cString: name).lowercased()
            // By the name without options: a ranged chunk (`objectsid;range=0-*`) is as binary as the attribute.
            let isBinary = !binary.isEmpty && binary.contains(String(key.prefix { $0 != ";" }))
            var values: [String] = []
            if let list = ldap_get_values_len(ld, entry, name) {
                var i = 0
                while let bv = list[i] {
                    let bytes = UnsafeRawBufferPointer(start: bv.pointee.bv_val, count: Int(bv.pointee.bv_len))
                    values.append(isBinary ? Data(bytes).base64EncodedString() : interner.string(bytes))
                    i += 1
                }
                ldap_value_free_len(list)
            }
            attributes[key] = values
            ldap_memfree(name)
            attribute = ldap_next_attribute(ld, entry, ber)
        }
        return attributes
    }

    /// The paged results cookie of a search result; empty when the last page has come.
    private func nextCookie(_ result: OpaquePointer) throws -> berval {
        var returned: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        defer { ldap_controls_free(returned) }
        try check(ldap_parse_result(ld, result, nil, nil, nil, nil, &returned, 0), "paged search")
        guard let control = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, returned, nil) else {
            return berval(bv_len: 0, bv_val: nil)
        }
        var count: ber_int_t = 0
        var cookie = berval(bv_len: 0, bv_val: nil)
        try check(ldap_parse_pageresponse_control(ld, control, &count, &cookie), "paged search cookie")
        return cookie
    }
}

public struct LDAPEntry: Sendable, Equatable {
    public var dn: String
    /// Keyed by lowercased attribute name (as the server spelled it, e.g. `msds-allowedtodelegateto`).
    public var attributes: [String: [String]]

    public init(dn: String, attributes: [String: [String]]) {
        self.dn = dn
        self.attributes = attributes
    }

    public subscript(attribute: String) -> [String] {
        attributes[attribute.lowercased()] ?? []
    }
}
