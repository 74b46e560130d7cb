// S4U2Self and S4U2Proxy: asking the KDC, as a host, whether its delegation works (`kcdctl verify`).
internal import CKrb5
import Foundation
import KCDCore

extension KerberosCredentials {
    /// Asks the KDC, as this host, for a ticket to itself on behalf of `user` (S4U2Self), then with that
    /// ticket as evidence for tickets to each target (S4U2Proxy). Every answer is the KDC's own.
    /// Needs credentials from a keytab with a forwardable TGT (`init(keytab:principal:forwardable: true)`).
    public func proveDelegation(
        host: String, impersonating user: String, realm: String,
        targets: [(spn: String, declared: Bool)]
    ) throws -> DelegationProof {
        guard let keytabPath, let keytabFile, let cache = memoryCache else {
            throw KerberosError(message: "proving delegation needs the host's own keys: a keytab")
        }
        var me: krb5_principal?
        var forUser: krb5_principal?
        var keytab: krb5_keytab?
        defer {
            if let me { krb5_free_principal(context, me) }
            if let forUser { krb5_free_principal(context, forUser) }
            if let keytab { krb5_kt_close(context, keytab) }
        }
        try check(krb5_cc_get_principal(context, cache, &me), "reading the host's principal")
        try check(krb5_parse_name(context, user, &forUser), "the user to impersonate, \(user)")
        try check(krb5_kt_resolve(context, "FILE:" + keytabFile.procPath, &keytab), "opening keytab \(keytabPath)")

        // S4U2Self: a ticket for the user, to the host itself.
        var request = krb5_creds()
        request.client = forUser
        request.server = me
        var selfCreds: UnsafeMutablePointer<krb5_creds>?
        let selfCode = krb5_get_credentials_for_user(context, 0, cache, &request, nil, &selfCreds)
        guard selfCode == 0, let selfCreds else {
            return DelegationProof(
                host: host, principal: principal, impersonated: user,
                selfTicket: outcome(selfCode), selfTicketForwardable: false, targets: [])
        }
        defer { krb5_free_creds(context, selfCreds) }
        let forwardable = selfCreds.pointee.ticket_flags & krb5_flags(TKT_FLG_FORWARDABLE) != 0

        // The evidence ticket, decrypted with the host's key (libkrb5 needs its client name).
        var evidence: UnsafeMutablePointer<krb5_ticket>?
        try check(krb5_decode_ticket(&selfCreds.pointee.ticket, &evidence), "decoding the S4U2Self ticket")
        defer { krb5_free_ticket(context, evidence) }
        try check(
            krb5_server_decrypt_ticket_keytab(context, keytab, evidence),
            "decrypting the S4U2Self ticket with \(keytabPath)")

        let results = targets.map { proxyTicket(to: $0, realm: realm, evidence: evidence!, cache: cache) }
        return DelegationProof(
            host: host, principal: principal, impersonated: user, selfTicket: .granted,
            selfTicketForwardable: forwardable, targets: results)
    }

    /// S4U2Proxy: a ticket for the user (the client of `evidence`) to one target, or why the KDC refused it.
    private func proxyTicket(
        to target: (spn: String, declared: Bool), realm: String, evidence: UnsafeMutablePointer<krb5_ticket>,
        cache: OpaquePointer
    ) -> DelegationProof.Target {
        var server: krb5_principal?
        defer { if let server { krb5_free_principal(context, server) } }
        guard krb5_parse_name(context, "\(target.spn)@\(realm)", &server) == 0 else {
            return .init(spn: target.spn, declared: target.declared, outcome: .failed("not a principal name"))
        }
        var request = krb5_creds()
        request.client = evidence.pointee.enc_part2.pointee.client
        request.server = server
        var proxyCreds: UnsafeMutablePointer<krb5_creds>?
        let code = krb5_get_credentials_for_proxy(
            context, krb5_flags(KRB5_GC_CANONICALIZE), cache, &request, evidence, &proxyCreds)
        if let proxyCreds { krb5_free_creds(context, proxyCreds) }
        return .init(spn: target.spn, declared: target.declared, outcome: code == 0 ? .granted : outcome(code))
    }

    /// The KDC's answer, sorted into what it means for delegation.
    private func outcome(_ code: krb5_error_code) -> DelegationProof.Outcome {
        let text = message(code)
        switch code {
        case krb5_error_code(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN): return .unknownSPN(text)
        case krb5_error_code(KRB5KDC_ERR_BADOPTION), krb5_error_code(KRB5KDC_ERR_POLICY),
            krb5_error_code(KRB5_TKT_NOT_FORWARDABLE):
            return .refused(text)
        default:
            return .failed(text)
        }
    }
}
