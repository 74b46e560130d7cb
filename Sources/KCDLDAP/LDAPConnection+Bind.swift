// Binding: simple (a password, over TLS only) and SASL GSSAPI (Kerberos, with the interaction callback that
// installs the credentials).
internal import CLDAP
import Foundation

extension LDAPConnection {
    /// Simple bind. Refuses an empty password (many servers take it as an anonymous bind) and an
    /// unencrypted connection, before anything is sent.
    public func bindSimple(dn: String, password: Secret) throws {
        guard !password.isEmpty else {
            throw LDAPError(
                code: .paramError, operation: "simple bind", dn: dn,
                diagnostic: "the password is empty; refusing what servers would treat as an anonymous bind")
        }
        guard isEncrypted else {
            throw LDAPError(
                code: .confidentialityRequired, operation: "simple bind", dn: dn,
                diagnostic: "refusing to send a password over an unencrypted connection; use ldaps:// or StartTLS")
        }
        logger.debug("LDAP simple bind", metadata: ["dn": "\(dn)", "uri": "\(uri)"])
        let rc = password.withUnsafeBytes { bytes -> Int32 in
            var credential = berval(
                bv_len: ber_len_t(bytes.count),
                bv_val: UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)))
            return blocking { ldap_sasl_bind_s(ld, dn, nil, &credential, nil, nil, nil) }
        }
        try check(rc, "simple bind", dn: dn, explainingTLS: true)
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
        logger.debug(
            "LDAP GSSAPI bind",
            metadata: [
                "uri": "\(uri)", "principal": "\(credentials?.principal ?? "(default credential cache)")",
                "minssf": "\(minimumSSF)",
            ])
        let context = GSSAPIBindContext(credential: credentials?.gssCredential)
        let rc = withExtendedLifetime(context) {
            blocking {
                ldap_sasl_interactive_bind_s(
                    ld, nil, "GSSAPI", nil, nil, LDAP_SASL_QUIET, saslInteract,
                    Unmanaged.passUnretained(context).toOpaque())
            }
        }
        try check(rc, "GSSAPI bind as \(credentials?.principal ?? "the default Kerberos credentials")")
        var ssf: ber_len_t = 0
        _ = ldap_get_option(ld, LDAP_OPT_X_SASL_SSF, &ssf)
        security.bindMethod = "GSSAPI"
        security.ssf = Int(ssf)
        logger.debug("LDAP GSSAPI bind done", metadata: ["ssf": "\(ssf)"])
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
private let saslInteract:
    @convention(c) (
        OpaquePointer?, UInt32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?
    ) -> Int32 = { ld, _, defaults, interact in
        if let defaults {
            let context = Unmanaged<GSSAPIBindContext>.fromOpaque(defaults).takeUnretainedValue()
            if let credential = context.credential, !context.installed {
                let rc = ldap_set_option(ld, LDAP_OPT_X_SASL_GSS_CREDS, UnsafeRawPointer(credential))
                guard rc == LDAP_OPT_SUCCESS else { return LDAP_LOCAL_ERROR }
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
