import CLDAP
import Foundation
import KCDCore
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
    /// How the connection is protected and who is bound, for `whoami` and `--verbose`.
    public private(set) var security: Security
    private let tls: TLS
    private let ld: OpaquePointer
    private let logger: Logger
    private var timeout: timeval
    private let timeoutSeconds: Double
    private let deadline = Deadline()
    private let interner = StringInterner()
    /// libldap keeps this pointer for the handle's lifetime; freed after the unbind.
    private let connectionCallbacks: UnsafeMutablePointer<ldap_conncb>

    public struct Security: Sendable, Equatable {
        /// `TLS (ldaps://)`, `StartTLS` or `none`.
        public var transport: String
        /// Whether the server's certificate and name were checked; nil without TLS.
        public var certificateVerified: Bool?
        /// `simple` or `GSSAPI`; nil before a bind.
        public var bindMethod: String?
        /// The SASL security strength factor negotiated by a GSSAPI bind (0: none).
        public var ssf: Int?
    }

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
        self.timeoutSeconds = timeout
        self.connectionCallbacks = .allocate(capacity: 1)
        connectionCallbacks.initialize(to: ldap_conncb(
            lc_add: socketOpened, lc_del: socketClosed, lc_arg: Unmanaged.passUnretained(deadline).toOpaque()))
        let isLDAPS = uri.lowercased().hasPrefix("ldaps://")
        self.isEncrypted = isLDAPS || tls.startTLS
        self.tls = tls
        self.security = Security(
            transport: isLDAPS ? "TLS (ldaps://)" : tls.startTLS ? "StartTLS" : "none",
            certificateVerified: isLDAPS || tls.startTLS ? tls.verify : nil)

        var version = LDAP_VERSION3
        try setOption(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version")
        // AD answers subtree searches at a domain root with continuation references; kcdctl does not chase them.
        try setOption(LDAP_OPT_REFERRALS, nil, "referrals off")
        try setOption(LDAP_OPT_NETWORK_TIMEOUT, &self.timeout, "network timeout")
        try setOption(LDAP_OPT_TIMEOUT, &self.timeout, "operation timeout")
        try setOption(LDAP_OPT_CONNECT_CB, connectionCallbacks, "connection callbacks")

        if isLDAPS || tls.startTLS {
            var caFileHandle: OpenRegularFile?
            if let caFile = tls.caFile {
                // Opened and checked here (a regular file, at most 1 MiB); libldap reads it when NEWCTX is set
                // below, through /proc/self/fd/N, so it reads this very file and a FIFO can never block it.
                let file = try OpenRegularFile(caFile, what: "TLS CA file", limit: 1 << 20)
                try file.procPath.withCString { try setOption(LDAP_OPT_X_TLS_CACERTFILE, UnsafeMutableRawPointer(mutating: $0), "TLS CA file") }
                caFileHandle = file
            }
            var require = tls.verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
            try setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS certificate check")
            // Without a new context the per-connection TLS options above are silently ignored.
            var isServer: Int32 = 0
            try setOption(LDAP_OPT_X_TLS_NEWCTX, &isServer, "TLS context")
            withExtendedLifetime(caFileHandle) {}
        }
        if !isLDAPS && tls.startTLS {
            logger.debug("LDAP StartTLS", metadata: ["uri": "\(uri)"])
            let rc = blocking { ldap_start_tls_s(ld, nil, nil) }
            guard rc == LDAP_SUCCESS else { throw tlsAware(error(rc, "StartTLS to \(uri)")) }
        }
    }

    deinit {
        ldap_unbind_ext_s(ld, nil, nil)
        connectionCallbacks.deallocate()
    }

    /// Opens the connection (TCP and, for ldaps://, the TLS handshake) without sending a request.
    public func connect() throws {
        let rc = blocking { ldap_connect(ld) }
        guard rc == LDAP_SUCCESS else { throw tlsAware(error(rc, "connect to \(uri)")) }
    }

    /// Runs one blocking libldap call within `timeout`. libldap 2.5 does not bound a TLS handshake by its
    /// network timeout (it spins until the server closes the connection), so at the deadline the socket is
    /// shut down, which makes the call return at once; the result is then LDAP_TIMEOUT.
    private func blocking(_ call: () -> Int32) -> Int32 {
        let (rc, timedOut) = deadline.run(seconds: timeoutSeconds, call)
        return timedOut ? LDAP_TIMEOUT : rc
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
            return blocking { ldap_sasl_bind_s(ld, dn, nil, &credential, nil, nil, nil) }
        }
        guard rc == LDAP_SUCCESS else { throw tlsAware(error(rc, "simple bind", dn: dn)) }
        security.bindMethod = "simple"
    }

    /// SASL GSSAPI bind with Kerberos credentials (nil: GSSAPI's defaults, i.e. the caller's credential
    /// cache), requiring at least `minimumSSF` of SASL protection (sealing) on a plain `ldap://` connection:
    /// AD and Samba refuse GSSAPI signing or sealing inside TLS. The Kerberos service is `ldap/<host of the
    /// URI>`, with no reverse-DNS canonicalisation.
    public func bindGSSAPI(credentials: KerberosCredentials?, minimumSSF: Int) throws {
        try setOption(LDAP_OPT_X_SASL_NOCANON, kcd_ldap_opt_on(), "no SASL host canonicalisation")
        try "minssf=\(minimumSSF)".withCString {
            try setOption(LDAP_OPT_X_SASL_SECPROPS, UnsafeMutableRawPointer(mutating: $0), "SASL security properties")
        }
        logger.debug("LDAP GSSAPI bind", metadata: [
            "uri": "\(uri)", "principal": "\(credentials?.principal ?? "(default credential cache)")",
            "minssf": "\(minimumSSF)",
        ])
        let context = GSSAPIBindContext(credential: credentials?.gssCredential)
        let rc = withExtendedLifetime(context) {
            blocking {
                ldap_sasl_interactive_bind_s(ld, nil, "GSSAPI", nil, nil, LDAP_SASL_QUIET, saslInteract,
                                             Unmanaged.passUnretained(context).toOpaque())
            }
        }
        guard rc == LDAP_SUCCESS else {
            throw error(rc, "GSSAPI bind as \(credentials?.principal ?? "the default Kerberos credentials")")
        }
        var ssf: ber_len_t = 0
        _ = ldap_get_option(ld, LDAP_OPT_X_SASL_SSF, &ssf)
        security.bindMethod = "GSSAPI"
        security.ssf = Int(ssf)
        logger.debug("LDAP GSSAPI bind done", metadata: ["ssf": "\(ssf)"])
    }

    /// The identity the server sees (RFC 4532 Who-am-I), e.g. `u:CORP\\svc-kcd`; nil when the server
    /// does not implement the operation (Samba 4.17 does not).
    public func whoAmI() throws -> String? {
        var authzid: UnsafeMutablePointer<berval>?
        let rc = blocking { ldap_whoami_s(ld, &authzid, nil, nil) }
        defer { ber_bvfree(authzid) }
        switch rc {
        case LDAP_SUCCESS:
            guard let bv = authzid?.pointee, let value = bv.bv_val else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: value, count: Int(bv.bv_len)), as: UTF8.self)
        case LDAP_PROTOCOL_ERROR, LDAP_UNAVAILABLE_CRITICAL_EXTENSION, LDAP_UNWILLING_TO_PERFORM:
            return nil
        default:
            throw error(rc, "Who-am-I")
        }
    }

    /// A search; with `pageSize`, through the paged results control until the server's cookie is empty.
    /// - Parameter binary: attributes whose values are bytes (e.g. `objectSid`): they come back base64-encoded.
    public func search(
        base: String, scope: Scope, filter: String, attributes: [String], pageSize: Int? = nil, binary: Set<String> = []
    ) throws -> [LDAPEntry] {
        let c = CAllocations()
        let attrs = try c.stringList(attributes)
        let cBase = try c.string(base)
        let cFilter = try c.string(filter)
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
                blocking {
                    ldap_search_ext_s(ld, cBase, scope.rawValue, cFilter, attrs, 0,
                                      pageSize == nil ? nil : ctrls.baseAddress, nil, &timeout, LDAP_NO_LIMIT, &result)
                }
            }
            guard rc == LDAP_SUCCESS, let result else {
                throw error(rc, "search", dn: base, result: result)
            }
            entries += readEntries(result, binary: Set(binary.map { $0.lowercased() }))

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
        let mods = try c.modifications(modifications)
        let cDN = try c.string(dn)
        for m in modifications {
            logger.debug("LDAP modify", metadata: ["dn": "\(dn)", "op": "\(m.operation)", "attribute": "\(m.attribute)", "values": "\(m.values)"])
        }
        counters.modifyRequests += 1
        let rc = blocking { ldap_modify_ext_s(ld, cDN, mods, nil, nil) }
        guard rc == LDAP_SUCCESS else {
            var attributes: [String] = []
            for m in modifications where !attributes.contains(m.attribute) { attributes.append(m.attribute) }
            throw error(rc, "modify of \(attributes.joined(separator: " and "))", dn: dn)
        }
    }

    // MARK: - private

    private func readEntries(_ result: OpaquePointer, binary: Set<String>) -> [LDAPEntry] {
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
                let key = String(cString: name).lowercased()
                var values: [String] = []
                if let list = ldap_get_values_len(ld, entry, name) {
                    var i = 0
                    while let bv = list[i] {
                        let bytes = UnsafeRawBufferPointer(start: bv.pointee.bv_val, count: Int(bv.pointee.bv_len))
                        values.append(binary.contains(key) ? Data(bytes).base64EncodedString() : interner.string(bytes))
                        i += 1
                    }
                    ldap_value_free_len(list)
                }
                attributes[key] = values
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

    /// A connection that failed where TLS was to be verified: look at the server's certificate (with
    /// verification off, on a separate throwaway connection, sending nothing else) and say what is wrong.
    private func tlsAware(_ failure: LDAPError) -> any Error {
        guard tls.verify, security.certificateVerified != nil,
              failure.code == LDAP_SERVER_DOWN || failure.code == LDAP_CONNECT_ERROR else { return failure }
        var unverified = tls
        unverified.verify = false
        guard let probe = try? LDAPConnection(uri: uri, tls: unverified, timeout: timeoutSeconds, logger: logger),
              (try? probe.connect()) != nil,
              let der = probe.peerCertificate(), let names = CertificateNames(der: der) else { return failure }
        return TLSVerificationError(uri: uri, host: Self.checkedName(Self.host(of: uri)), names: names, caFile: tls.caFile)
    }

    /// The server's certificate (DER), once TLS is up.
    private func peerCertificate() -> [UInt8]? {
        var der = berval(bv_len: 0, bv_val: nil)
        guard ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &der) == LDAP_OPT_SUCCESS, let bytes = der.bv_val else { return nil }
        defer { ber_memfree(bytes) }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(der.bv_len)))
    }

    /// Why `host` does not resolve, or nil when it does: libldap says only "Can't contact LDAP server".
    static func resolutionProblem(_ host: String) -> String? {
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, nil, &result)
        if let result { freeaddrinfo(result) }
        guard rc != 0 else { return nil }
        return "the name '\(host)' does not resolve (DNS: \(String(cString: gai_strerror(rc))))"
    }

    /// The name libldap checks the certificate against: the URI's host, except that it checks
    /// `localhost` as this machine's own name.
    static func checkedName(_ host: String) -> String {
        guard host.lowercased() == "localhost" else { return host }
        var name = [CChar](repeating: 0, count: 256)
        return gethostname(&name, name.count) == 0 ? String(cString: name) : host
    }

    /// `ldaps://dc1.corp.example.com:636/` → `dc1.corp.example.com`; `ldap://[::1]` → `::1`.
    public static func host(of uri: String) -> String {
        var rest = Substring(uri)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        return String(rest.prefix { $0 != ":" && $0 != "/" })
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
        if code == LDAP_TIMEOUT {
            diagnostic = "no answer within \(timeoutSeconds) s (--timeout)"
        }
        if code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR, let problem = Self.resolutionProblem(Self.host(of: uri)) {
            diagnostic = problem
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

/// The socket of the connection being waited on, and whether its deadline fired. libldap reports the
/// socket through its connection callbacks; the deadline runs on a global dispatch queue.
final class Deadline: @unchecked Sendable {
    private let lock = NSLock()
    private var socket: Int32 = -1
    private var call = 0
    private var waiting = false
    private var fired = false

    func opened(_ fd: Int32) { lock.withLock { socket = fd } }
    func closed() { lock.withLock { socket = -1 } }

    func run(seconds: Double, _ body: () -> Int32) -> (Int32, timedOut: Bool) {
        let id = lock.withLock {
            call += 1
            waiting = true
            fired = false
            return call
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.withLock {
                guard waiting, call == id, socket >= 0 else { return }
                fired = true
                shutdown(socket, Int32(SHUT_RDWR))
            }
        }
        let rc = body()
        return lock.withLock {
            waiting = false
            return (rc, fired)
        }
    }
}

private let socketOpened: @convention(c) (
    OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<LDAPURLDesc>?, UnsafeMutablePointer<sockaddr>?,
    UnsafeMutablePointer<ldap_conncb>?
) -> Int32 = { _, sockbuf, _, _, callbacks in
    var fd: Int32 = -1
    if let sockbuf, let arg = callbacks?.pointee.lc_arg {
        _ = ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &fd)
        Unmanaged<Deadline>.fromOpaque(arg).takeUnretainedValue().opened(fd)
    }
    return 0
}

private let socketClosed: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<ldap_conncb>?) -> Void = {
    _, _, callbacks in
    if let arg = callbacks?.pointee.lc_arg {
        Unmanaged<Deadline>.fromOpaque(arg).takeUnretainedValue().closed()
    }
}

/// What the SASL interaction callback needs, passed through libldap's `defaults` pointer.
private final class GSSAPIBindContext {
    let credential: OpaquePointer?
    var installed = false
    init(credential: OpaquePointer?) { self.credential = credential }
}

/// Cyrus SASL asks for an authorization name even for GSSAPI; the empty answer means "as authenticated".
/// The credentials from a keytab are installed here, because libldap accepts them only once the SASL
/// context of the bind exists.
private let saslInteract: @convention(c) (OpaquePointer?, UInt32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32 = {
    ld, _, defaults, interact in
    if let defaults {
        let context = Unmanaged<GSSAPIBindContext>.fromOpaque(defaults).takeUnretainedValue()
        if let credential = context.credential, !context.installed {
            guard ldap_set_option(ld, LDAP_OPT_X_SASL_GSS_CREDS, UnsafeRawPointer(credential)) == LDAP_OPT_SUCCESS else {
                return LDAP_LOCAL_ERROR
            }
            context.installed = true
        }
    }
    var item = interact?.assumingMemoryBound(to: sasl_interact_t.self)
    while let i = item, i.pointee.id != UInt(SASL_CB_LIST_END) {
        let answer = i.pointee.defresult ?? kcd_empty_string()
        i.pointee.result = UnsafeRawPointer(answer)
        i.pointee.len = UInt32(strlen(answer!))
        item = i + 1
    }
    return LDAP_SUCCESS
}

/// The server's certificate did not verify: which server, which names it carries, against which CAs.
public struct TLSVerificationError: Error, CustomStringConvertible {
    public var uri: String
    public var host: String
    public var names: CertificateNames
    public var caFile: String?

    public var description: String {
        let trust = caFile.map { "CA file \($0)" } ?? "the system trust store"
        if !names.matches(host: host) {
            let localhost = LDAPConnection.host(of: uri).lowercased() == "localhost" && host.lowercased() != "localhost"
                ? " (libldap checks 'localhost' as this machine's own name)" : ""
            return "TLS: the certificate of \(uri) does not carry the name '\(host)'\(localhost) (it names \(names.summary)): use one of its names in directory.uri"
        }
        return "TLS: the certificate of \(uri) (\(names.summary)) is not signed by a CA in \(trust), or is not valid now: set directory.tls.caFile to the CA that issued it"
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
