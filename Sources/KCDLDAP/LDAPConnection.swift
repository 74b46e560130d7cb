// The libldap handle: opening it (options, TLS, StartTLS), the deadline on every blocking call, Who-am-I,
// and the one check of libldap's result codes. Binds, searches, modifies and the TLS diagnosis are extensions
// in the LDAPConnection+*.swift files.
internal import CLDAP
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

    /// LDAP requests sent, by kind: what `--verbose` and the tests count.
    public struct Counters: Sendable, Equatable {
        public var searchRequests = 0
        public var modifyRequests = 0
    }

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

    public let uri: String
    public internal(set) var counters = Counters()
    /// Whether the connection is encrypted (ldaps:// or StartTLS done).
    public let isEncrypted: Bool
    /// How the connection is protected and who is bound, for `whoami` and `--verbose`.
    public internal(set) var security: Security
    let tls: TLS
    let ld: OpaquePointer
    let logger: Logger
    /// The operation timeout as libldap takes it (a search passes it by pointer).
    var timeout: timeval
    let timeoutSeconds: Double
    private let deadline = Deadline()
    let interner = StringInterner()
    /// libldap keeps this pointer for the handle's lifetime; freed after the unbind.
    private let connectionCallbacks: UnsafeMutablePointer<ldap_conncb>

    /// Prepares the handle and, for `ldap://` with `tls.startTLS`, upgrades to TLS at once.
    /// - Parameter timeout: bounds connecting and every operation, in seconds.
    public init(uri: String, tls: TLS, timeout: Double = 30, logger: Logger) throws {
        var handle: OpaquePointer?
        let rc = ldap_initialize(&handle, uri)
        guard rc == LDAP_SUCCESS, let handle else {
            throw LDAPError(
                code: LDAPResultCode(rc), operation: "connect to \(uri)", diagnostic: "not a usable LDAP URI")
        }
        self.ld = handle
        self.uri = uri
        self.logger = logger
        self.timeout = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        self.timeoutSeconds = timeout
        self.connectionCallbacks = .allocate(capacity: 1)
        connectionCallbacks.initialize(to: deadline.connectionCallbacks)
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
            try setTLSOptions(tls)
        }
        if !isLDAPS && tls.startTLS {
            logger.debug("LDAP StartTLS", metadata: ["uri": "\(uri)"])
            try check(blocking { ldap_start_tls_s(ld, nil, nil) }, "StartTLS to \(uri)", explainingTLS: true)
        }
    }

    deinit {
        ldap_unbind_ext_s(ld, nil, nil)
        connectionCallbacks.deallocate()
    }

    private func setTLSOptions(_ tls: TLS) throws {
        var caFileHandle: OpenRegularFile?
        if let caFile = tls.caFile {
            // Opened and checked here (a regular file, at most 1 MiB); libldap reads it when NEWCTX is set
            // below, through /proc/self/fd/N, so it reads this very file and a FIFO can never block it.
            let file = try OpenRegularFile(caFile, what: "TLS CA file", limit: 1 << 20)
            try file.procPath.withCString {
                try setOption(LDAP_OPT_X_TLS_CACERTFILE, UnsafeMutableRawPointer(mutating: $0), "TLS CA file")
            }
            caFileHandle = file
        }
        var require = tls.verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        try setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS certificate check")
        // Without a new context the per-connection TLS options above are silently ignored.
        var isServer: Int32 = 0
        try setOption(LDAP_OPT_X_TLS_NEWCTX, &isServer, "TLS context")
        withExtendedLifetime(caFileHandle) {}
    }

    /// Opens the connection (TCP and, for ldaps://, the TLS handshake) without sending a request.
    public func connect() throws {
        try check(blocking { ldap_connect(ld) }, "connect to \(uri)", explainingTLS: true)
    }

    /// The identity the server sees (RFC 4532 Who-am-I), e.g. `u:CORP\\svc-kcd`; nil when the server
    /// does not implement the operation (Samba 4.17 does not).
    public func whoAmI() throws -> String? {
        var authzid: UnsafeMutablePointer<berval>?
        let code = LDAPResultCode(blocking { ldap_whoami_s(ld, &authzid, nil, nil) })
        defer { ber_bvfree(authzid) }
        switch code {
        case .success:
            guard let bv = authzid?.pointee, let value = bv.bv_val else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: value, count: Int(bv.bv_len)), as: UTF8.self)
        case .protocolError, .unavailableCriticalExtension, .unwillingToPerform:
            return nil
        default:
            throw error(code, "Who-am-I")
        }
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

    // MARK: - Calling libldap

    /// Runs one blocking libldap call within `timeout`. libldap 2.5 does not bound a TLS handshake by its
    /// network timeout (it spins until the server closes the connection), so at the deadline the socket is
    /// shut down, which makes the call return at once; the result is then LDAP_TIMEOUT.
    func blocking(_ call: () -> Int32) -> Int32 {
        let (rc, timedOut) = deadline.run(seconds: timeoutSeconds, call)
        return timedOut ? LDAP_TIMEOUT : rc
    }

    /// The check of every libldap call that returns a result code: LDAP_SUCCESS passes, anything else is thrown
    /// as an `LDAPError` with the server's diagnostic (see `error`).
    /// - Parameter explainingTLS: the call opens the connection; a failure to verify the server's certificate is
    ///   explained (`TLSVerificationError`).
    func check(
        _ rc: Int32, _ operation: @autoclosure () -> String, dn: String? = nil, result: OpaquePointer? = nil,
        explainingTLS: Bool = false
    ) throws {
        guard rc != LDAP_SUCCESS else { return }
        let failure = error(LDAPResultCode(rc), operation(), dn: dn, result: result)
        throw explainingTLS ? tlsAware(failure) : failure
    }

    /// The check of `ldap_set_option`, which answers LDAP_OPT_SUCCESS or LDAP_OPT_ERROR rather than a result code.
    func setOption(_ option: Int32, _ value: UnsafeRawPointer?, _ what: String) throws {
        guard ldap_set_option(ld, option, value) != LDAP_OPT_SUCCESS else { return }
        throw LDAPError(code: LDAPResultCode(LDAP_OPT_ERROR), operation: "set option (\(what))", diagnostic: nil)
    }

    /// An error with the server's diagnostic: from the result message when there is one, else the handle's.
    func error(
        _ code: LDAPResultCode, _ operation: String, dn: String? = nil, result: OpaquePointer? = nil
    ) -> LDAPError {
        var diagnostic: String?
        if let result {
            var message: UnsafeMutablePointer<CChar>?
            var resultCode: Int32 = 0
            if ldap_parse_result(ld, result, &resultCode, nil, &message, nil, nil, 0) == LDAP_SUCCESS, let message {
                diagnostic = String(cString: message)
            }
            ldap_memfree(message)
        }
        if code == .timeout {
            diagnostic = "no answer within \(timeoutSeconds) s (--timeout)"
        }
        if code == .serverDown || code == .connectError, let problem = Self.resolutionProblem(Self.host(of: uri)) {
            diagnostic = problem
        }
        if diagnostic == nil || diagnostic?.isEmpty == true {
            var message: UnsafeMutablePointer<CChar>?
            if ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) == LDAP_OPT_SUCCESS, let message {
                diagnostic = String(cString: message)
                ldap_memfree(message)
            }
        }
        var error = LDAPError(code: code, operation: operation, dn: dn, diagnostic: diagnostic)
        if code == .referral { error.referrals = referralURLs() }
        return error
    }

    /// The referral URLs of the last result (a read-only DC's answer to a write), at most 16.
    func referralURLs() -> [String] {
        var urls: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        guard ldap_get_option(ld, LDAP_OPT_REFERRAL_URLS, &urls) == LDAP_OPT_SUCCESS, let urls else { return [] }
        defer { ber_memvfree(UnsafeMutableRawPointer(urls).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)) }
        var result: [String] = []
        var i = 0
        while let url = urls[i], result.count < 16 {
            result.append(
                String(decoding: UnsafeRawBufferPointer(start: url, count: strnlen(url, 4096)), as: UTF8.self))
            i += 1
        }
        return result
    }

    /// Why `host` does not resolve, or nil when it does: libldap says only "Can't contact LDAP server".
    static func resolutionProblem(_ host: String) -> String? {
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, nil, &result)
        if let result { freeaddrinfo(result) }
        guard rc != 0 else { return nil }
        return "the name '\(host)' does not resolve (DNS: \(String(cString: gai_strerror(rc))))"
    }
}

@available(*, unavailable)
extension LDAPConnection: Sendable {}
