import CLDAP
import Foundation
import Logging

/// One connection to a directory server through libldap. Owns its handle and unbinds on deinit.
/// Not for use from several threads at once: libldap keeps error details per handle.
public final class LDAPConnection {
    public struct TLS: Sendable {
        /// PEM file of the CA(s) to trust; nil: the system store.
        public var caFile: String?
        /// Verify the server's certificate and name. Off only when a manifest says so in writing.
        public var verify: Bool
        /// For `ldap://`: upgrade with StartTLS before anything else is sent.
        public var startTLS: Bool

        public init(caFile: String? = nil, verify: Bool = true, startTLS: Bool = true) {
            self.caFile = caFile
            self.verify = verify
            self.startTLS = startTLS
        }
    }

    public enum Scope: Int32, Sendable {
        case base = 0, oneLevel = 1, subtree = 2
    }

    /// LDAP requests sent, by kind: what `--verbose` and the tests count.
    public struct Counters: Sendable, Equatable {
        public var searchRequests = 0
        public var modifyRequests = 0
    }

    public let uri: String
    public private(set) var counters = Counters()
    /// Whether the connection is encrypted (ldaps:// or StartTLS done).
    public let isEncrypted: Bool
    private let ld: OpaquePointer
    private let logger: Logger
    private var timeout: timeval

    /// Prepares the handle and, for `ldap://` with `tls.startTLS`, upgrades to TLS at once.
    /// - Parameter timeout: bounds connecting and every operation, in seconds.
    public init(uri: String, tls: TLS, timeout: Double = 30, logger: Logger) throws {
        var handle: OpaquePointer?
        let rc = ldap_initialize(&handle, uri)
        guard rc == LDAP_SUCCESS, let handle else {
            throw LDAPError(code: rc, operation: "connect to \(uri)", diagnostic: "not a usable LDAP URI")
        }
        self.ld = handle
        self.uri = uri
        self.logger = logger
        self.timeout = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        let isLDAPS = uri.lowercased().hasPrefix("ldaps://")
        self.isEncrypted = isLDAPS || tls.startTLS

        var version = LDAP_VERSION3
        try setOption(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version")
        // AD answers subtree searches at a domain root with continuation references; kcdctl does not chase them.
        try setOption(LDAP_OPT_REFERRALS, nil, "referrals off")
        try setOption(LDAP_OPT_NETWORK_TIMEOUT, &self.timeout, "network timeout")
        try setOption(LDAP_OPT_TIMEOUT, &self.timeout, "operation timeout")

        if isLDAPS || tls.startTLS {
            if let caFile = tls.caFile {
                try caFile.withCString { try setOption(LDAP_OPT_X_TLS_CACERTFILE, UnsafeMutableRawPointer(mutating: $0), "TLS CA file") }
            }
            var require = tls.verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
            try setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS certificate check")
            // Without a new context the per-connection TLS options above are silently ignored.
            var isServer: Int32 = 0
            try setOption(LDAP_OPT_X_TLS_NEWCTX, &isServer, "TLS context")
        }
        if !isLDAPS && tls.startTLS {
            logger.debug("LDAP StartTLS", metadata: ["uri": "\(uri)"])
            let rc = ldap_start_tls_s(ld, nil, nil)
            guard rc == LDAP_SUCCESS else { throw error(rc, "StartTLS to \(uri)") }
        }
    }

    deinit {
        ldap_unbind_ext_s(ld, nil, nil)
    }

    /// Simple bind. Refuses an empty password (many servers take it as an anonymous bind) and an
    /// unencrypted connection, before anything is sent.
    public func bindSimple(dn: String, password: Secret) throws {
        guard !password.isEmpty else {
            throw LDAPError(code: LDAP_PARAM_ERROR, operation: "simple bind", dn: dn, diagnostic: "the password is empty; refusing what servers would treat as an anonymous bind")
        }
        guard isEncrypted else {
            throw LDAPError(code: LDAP_CONFIDENTIALITY_REQUIRED, operation: "simple bind", dn: dn,
                            diagnostic: "refusing to send a password over an unencrypted connection; use ldaps:// or StartTLS")
        }
        logger.debug("LDAP simple bind", metadata: ["dn": "\(dn)", "uri": "\(uri)"])
        let rc = password.withUnsafeBytes { bytes -> Int32 in
            var credential = berval(
                bv_len: ber_len_t(bytes.count),
                bv_val: UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)))
            return ldap_sasl_bind_s(ld, dn, nil, &credential, nil, nil, nil)
        }
        guard rc == LDAP_SUCCESS else { throw error(rc, "simple bind", dn: dn) }
    }

    /// A search; with `pageSize`, through the paged results control until the server's cookie is empty.
    public func search(
        base: String, scope: Scope, filter: String, attributes: [String], pageSize: Int? = nil
    ) throws -> [LDAPEntry] {
        let c = CAllocations()
        let attrs = c.stringList(attributes)
        var entries: [LDAPEntry] = []
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { ber_memfree(cookie.bv_val) }

        repeat {
            var pageControl: UnsafeMutablePointer<LDAPControl>?
            defer { ldap_control_free(pageControl) }
            if let pageSize {
                let rc = cookie.bv_val == nil
                    ? ldap_create_page_control(ld, ber_int_t(pageSize), nil, 1, &pageControl)
                    : ldap_create_page_control(ld, ber_int_t(pageSize), &cookie, 1, &pageControl)
                guard rc == LDAP_SUCCESS else { throw error(rc, "paged search setup") }
            }
            var controls: [UnsafeMutablePointer<LDAPControl>?] = [pageControl, nil]
            var result: OpaquePointer?
            defer { ldap_msgfree(result) }
            logger.debug("LDAP search", metadata: [
                "base": "\(base)", "scope": "\(scope)", "filter": "\(filter)", "attributes": "\(attributes.joined(separator: ","))",
            ])
            counters.searchRequests += 1
            let rc = controls.withUnsafeMutableBufferPointer { ctrls in
                ldap_search_ext_s(ld, base, scope.rawValue, filter, attrs, 0,
                                  pageSize == nil ? nil : ctrls.baseAddress, nil, &timeout, LDAP_NO_LIMIT, &result)
            }
            guard rc == LDAP_SUCCESS, let result else {
                throw error(rc, "search", dn: base, result: result)
            }
            entries += readEntries(result)

            ber_memfree(cookie.bv_val)
            cookie = berval(bv_len: 0, bv_val: nil)
            if pageSize != nil {
                cookie = try nextCookie(result)
            }
        } while cookie.bv_len > 0
        return entries
    }

    /// One modify request: all its operations apply, or none.
    public func modify(dn: String, _ modifications: [LDAPModification]) throws {
        let c = CAllocations()
        let mods = c.array(of: UnsafeMutablePointer<LDAPMod>?.self, count: modifications.count + 1)
        for (i, m) in modifications.enumerated() {
            let values = c.array(of: UnsafeMutablePointer<berval>?.self, count: m.values.count + 1)
            for (j, v) in m.values.enumerated() {
                let bv = c.array(of: berval.self, count: 1)
                bv.pointee = berval(bv_len: ber_len_t(v.utf8.count), bv_val: c.string(v))
                values[j] = bv
            }
            let mod = c.array(of: LDAPMod.self, count: 1)
            mod.pointee.mod_op = m.operation.rawValue | LDAP_MOD_BVALUES
            mod.pointee.mod_type = c.string(m.attribute)
            mod.pointee.mod_vals.modv_bvals = values
            mods[i] = mod
        }
        for m in modifications {
            logger.debug("LDAP modify", metadata: ["dn": "\(dn)", "op": "\(m.operation)", "attribute": "\(m.attribute)", "values": "\(m.values)"])
        }
        counters.modifyRequests += 1
        let rc = ldap_modify_ext_s(ld, dn, mods, nil, nil)
        guard rc == LDAP_SUCCESS else { throw error(rc, "modify", dn: dn) }
    }

    // MARK: - private

    private func readEntries(_ result: OpaquePointer) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var message = ldap_first_entry(ld, result)
        while let entry = message {
            defer { message = ldap_next_entry(ld, entry) }
            guard let dnPointer = ldap_get_dn(ld, entry) else { continue }
            let dn = String(cString: dnPointer)
            ldap_memfree(dnPointer)
            var attributes: [String: [String]] = [:]
            var ber: OpaquePointer?
            var attribute = ldap_first_attribute(ld, entry, &ber)
            while let name = attribute {
                var values: [String] = []
                if let list = ldap_get_values_len(ld, entry, name) {
                    var i = 0
                    while let bv = list[i] {
                        values.append(String(decoding: UnsafeRawBufferPointer(start: bv.pointee.bv_val, count: Int(bv.pointee.bv_len)), as: UTF8.self))
                        i += 1
                    }
                    ldap_value_free_len(list)
                }
                attributes[String(cString: name).lowercased()] = values
                ldap_memfree(name)
                attribute = ldap_next_attribute(ld, entry, ber)
            }
            ber_free(ber, 0)
            entries.append(LDAPEntry(dn: dn, attributes: attributes))
        }
        return entries
    }

    /// The paged results cookie of a search result; empty when the last page has come.
    private func nextCookie(_ result: OpaquePointer) throws -> berval {
        var returned: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        let rc = ldap_parse_result(ld, result, nil, nil, nil, nil, &returned, 0)
        defer { ldap_controls_free(returned) }
        guard rc == LDAP_SUCCESS else { throw error(rc, "paged search") }
        guard let control = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, returned, nil) else {
            return berval(bv_len: 0, bv_val: nil)
        }
        var count: ber_int_t = 0
        var cookie = berval(bv_len: 0, bv_val: nil)
        let prc = ldap_parse_pageresponse_control(ld, control, &count, &cookie)
        guard prc == LDAP_SUCCESS else { throw error(prc, "paged search cookie") }
        return cookie
    }

    private func setOption(_ option: Int32, _ value: UnsafeRawPointer?, _ what: String) throws {
        let rc = ldap_set_option(ld, option, value)
        guard rc == LDAP_OPT_SUCCESS else {
            throw LDAPError(code: rc, operation: "set option (\(what))", diagnostic: nil)
        }
    }

    /// An error with the server's diagnostic: from the result message when there is one, else the handle's.
    private func error(_ code: Int32, _ operation: String, dn: String? = nil, result: OpaquePointer? = nil) -> LDAPError {
        var diagnostic: String?
        if let result {
            var message: UnsafeMutablePointer<CChar>?
            var resultCode: Int32 = 0
            if ldap_parse_result(ld, result, &resultCode, nil, &message, nil, nil, 0) == LDAP_SUCCESS, let message {
                diagnostic = String(cString: message)
            }
            ldap_memfree(message)
        }
        if diagnostic == nil || diagnostic?.isEmpty == true {
            var message: UnsafeMutablePointer<CChar>?
            if ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) == LDAP_OPT_SUCCESS, let message {
                diagnostic = String(cString: message)
                ldap_memfree(message)
            }
        }
        return LDAPError(code: code, operation: operation, dn: dn, diagnostic: diagnostic)
    }
}

@available(*, unavailable)
extension LDAPConnection: Sendable {}

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

public struct LDAPModification: Sendable, Equatable {
    public enum Operation: Int32, Sendable {
        case add = 0, delete = 1, replace = 2
    }
    public var operation: Operation
    public var attribute: String
    public var values: [String]

    public init(_ operation: Operation, _ attribute: String, _ values: [String]) {
        self.operation = operation
        self.attribute = attribute
        self.values = values
    }
}
