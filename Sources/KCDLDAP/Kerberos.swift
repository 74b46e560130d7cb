// Kerberos credentials for GSSAPI binds: from a keytab into a MEMORY: cache, or the caller's default cache.
internal import CKrb5
import Foundation
import KCDCore

/// Kerberos credentials for a GSSAPI bind.
///
/// From a keytab they are obtained in-process into a `MEMORY:` credential cache that never touches disk
/// and is destroyed with this object; otherwise the caller's default cache (`KRB5CCNAME`, an operator's
/// `kinit`) is checked for a valid ticket-granting ticket and used as it is.
public final class KerberosCredentials {
    /// The client principal, e.g. `svc-kcd@CORP.EXAMPLE.COM`.
    public let principal: String
    /// Where they came from, for `whoami` and `--verbose`: `keytab /etc/kcdctl/kcd.keytab` or
    /// `credential cache FILE:/tmp/krb5cc_0`.
    public let source: String
    let context: OpaquePointer
    private(set) var memoryCache: OpaquePointer?
    /// The keytab, when the credentials came from one.
    let keytabPath: String?
    /// The keytab as opened and checked, kept open for as long as libkrb5 may read it again (S4U).
    let keytabFile: OpenRegularFile?
    /// For libldap's `LDAP_OPT_X_SASL_GSS_CREDS`; nil means GSSAPI's default credentials.
    private(set) var gssCredential: OpaquePointer?

    /// A TGT for `principal` from `keytab`, held in memory only. The keytab is opened and checked here (a
    /// private regular file of at most 1 MiB) and libkrb5 reads that very file through `/proc/self/fd/N`, so
    /// a FIFO or a file swapped in after the check is never read.
    /// - Parameter forwardable: ask for a forwardable TGT (needed for S4U2Proxy).
    public init(keytab: String, principal: String, forwardable: Bool = false) throws {
        let keytabFile = try OpenRegularFile(keytab, what: "keytab", limit: 1 << 20)
        try PrivateFile.check(keytabFile)
        let context = try Self.makeContext()
        self.context = context
        self.principal = principal
        self.source = "keytab \(keytab)"
        self.keytabPath = keytab
        self.keytabFile = keytabFile

        var client: krb5_principal?
        var kt: krb5_keytab?
        var options: UnsafeMutablePointer<krb5_get_init_creds_opt>?
        var creds = krb5_creds()
        defer {
            krb5_free_cred_contents(context, &creds)
            if let options { krb5_get_init_creds_opt_free(context, options) }
            if let kt { krb5_kt_close(context, kt) }
            if let client { krb5_free_principal(context, client) }
        }
        let what = "cannot get a Kerberos ticket for \(principal) from keytab \(keytab)"
        try check(krb5_parse_name(context, principal, &client), what)
        try check(krb5_kt_resolve(context, "FILE:" + keytabFile.procPath, &kt), what)
        try check(krb5_get_init_creds_opt_alloc(context, &options), what)
        if forwardable { krb5_get_init_creds_opt_set_forwardable(options, 1) }
        try check(krb5_get_init_creds_keytab(context, &creds, client, kt, 0, nil, options), what)
        try check(krb5_cc_new_unique(context, "MEMORY", nil, &memoryCache), what)
        try check(krb5_cc_initialize(context, memoryCache, client), what)
        try check(krb5_cc_store_cred(context, memoryCache, &creds), what)

        var minor: OM_uint32 = 0
        var credential: gss_cred_id_t?
        let major = gss_krb5_import_cred(&minor, memoryCache, nil, nil, &credential)
        guard major == GSS_S_COMPLETE else {
            throw KerberosError(
                message: "\(what): GSSAPI could not take the credentials (major \(major), minor \(minor))")
        }
        gssCredential = credential
    }

    /// The caller's default credential cache, checked for an unexpired ticket-granting ticket.
    /// - Parameter principal: who the manifest expects, named in the error when there is no ticket.
    public init(defaultCacheExpecting principal: String?) throws {
        let context = try Self.makeContext()
        self.context = context
        self.keytabPath = nil
        self.keytabFile = nil
        var cache: krb5_ccache?
        var client: krb5_principal?
        defer {
            if let client { krb5_free_principal(context, client) }
            if let cache { krb5_cc_close(context, cache) }
        }
        let cacheName =
            ProcessInfo.processInfo.environment["KRB5CCNAME"].map { "KRB5CCNAME=\($0)" }
            ?? "the default credential cache"
        let who = principal ?? "<principal>"
        guard krb5_cc_default(context, &cache) == 0,
            krb5_cc_get_principal(context, cache, &client) == 0,
            let name = Self.unparse(context, client)
        else {
            throw KerberosError(
                message: "no Kerberos ticket in \(cacheName): run `kinit \(who)`, or set directory.auth.keytab")
        }
        self.principal = name
        self.source = "credential cache \(Self.cacheName(context, cache))"
        guard let end = Self.ticketGrantingTicketEnd(context, cache) else {
            throw KerberosError(message: "no ticket-granting ticket for \(name) in \(cacheName): run `kinit \(name)`")
        }
        guard end > Date() else {
            throw KerberosError(
                message: "the Kerberos ticket of \(name) in \(cacheName) expired at \(end): run `kinit \(name)`")
        }
    }

    deinit {
        if gssCredential != nil {
            var minor: OM_uint32 = 0
            gss_release_cred(&minor, &gssCredential)
        }
        if let memoryCache { krb5_cc_destroy(context, memoryCache) }
        krb5_free_context(context)
    }

    private static func makeContext() throws -> OpaquePointer {
        var context: krb5_context?
        let code = krb5_init_context(&context)
        guard code == 0, let context else {
            throw KerberosError(
                message: "cannot initialise Kerberos (error \(code)): check /etc/krb5.conf or KRB5_CONFIG")
        }
        return context
    }

    func check(_ code: krb5_error_code, _ what: String) throws {
        guard code != 0 else { return }
        throw KerberosError(message: "\(what): \(message(code))", code: code)
    }

    /// libkrb5's text for an error code.
    func message(_ code: krb5_error_code) -> String {
        let text = krb5_get_error_message(context, code)
        defer { krb5_free_error_message(context, text) }
        return text.map { String(cString: $0) } ?? "error \(code)"
    }

    static func unparse(_ context: OpaquePointer, _ principal: krb5_principal?) -> String? {
        var text: UnsafeMutablePointer<CChar>?
        guard let principal, krb5_unparse_name(context, principal, &text) == 0, let text else { return nil }
        defer { krb5_free_unparsed_name(context, text) }
        return String(cString: text)
    }

    private static func cacheName(_ context: OpaquePointer, _ cache: krb5_ccache?) -> String {
        var full: UnsafeMutablePointer<CChar>?
        guard krb5_cc_get_full_name(context, cache, &full) == 0, let full else { return "?" }
        defer { krb5_free_string(context, full) }
        return String(cString: full)
    }

    /// When the cache's TGT (`krbtgt/…`) ends, or nil without one.
    private static func ticketGrantingTicketEnd(_ context: OpaquePointer, _ cache: krb5_ccache?) -> Date? {
        var cursor: krb5_cc_cursor?
        guard krb5_cc_start_seq_get(context, cache, &cursor) == 0 else { return nil }
        defer { krb5_cc_end_seq_get(context, cache, &cursor) }
        var latest: Date?
        var creds = krb5_creds()
        while krb5_cc_next_cred(context, cache, &cursor, &creds) == 0 {
            defer { krb5_free_cred_contents(context, &creds) }
            if let server = unparse(context, creds.server), server.hasPrefix("krbtgt/") {
                let end = Date(timeIntervalSince1970: TimeInterval(UInt32(bitPattern: creds.times.endtime)))
                latest = max(latest ?? end, end)
            }
        }
        return latest
    }
}

@available(*, unavailable)
extension KerberosCredentials: Sendable {}

public struct KerberosError: Error, CustomStringConvertible {
    public var message: String
    /// The krb5 error code, when libkrb5 gave one.
    public var code: Int32?
    public init(message: String, code: Int32? = nil) {
        self.message = message
        self.code = code
    }
    public var description: String { message }
}
