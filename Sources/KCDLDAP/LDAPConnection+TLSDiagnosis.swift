// Why a TLS connection failed: libldap says only "Can't contact LDAP server", so the server's certificate is
// fetched over a second, unverified connection and its names compared with the URI's host.
internal import CLDAP
import Foundation

extension LDAPConnection {
    /// A connection that failed where TLS was to be verified: look at the server's certificate (with
    /// verification off, on a separate throwaway connection, sending nothing else) and say what is wrong.
    func tlsAware(_ failure: LDAPError) -> any Error {
        guard tls.verify, security.certificateVerified != nil,
            failure.code == .serverDown || failure.code == .connectError
        else { return failure }
        var unverified = tls
        unverified.verify = false
        guard let probe = try? LDAPConnection(uri: uri, tls: unverified, timeout: timeoutSeconds, logger: logger),
            (try? probe.connect()) != nil,
            let der = probe.peerCertificate(), let names = CertificateNames(der: der)
        else { return failure }
        return TLSVerificationError(
            uri: uri, host: Self.checkedName(Self.host(of: uri)), names: names, caFile: tls.caFile)
    }

    /// The server's certificate (DER), once TLS is up.
    private func peerCertificate() -> [UInt8]? {
        var der = berval(bv_len: 0, bv_val: nil)
        guard ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &der) == LDAP_OPT_SUCCESS, let bytes = der.bv_val else {
            return nil
        }
        defer { ber_memfree(bytes) }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(der.bv_len)))
    }

    /// The name libldap checks the certificate against: the URI's host, except that it checks
    /// `localhost` as this machine's own name.
    static func checkedName(_ host: String) -> String {
        guard host.lowercased() == "localhost" else { return host }
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return host }
        // POSIX leaves a cut name without its NUL: decode up to the first NUL within the buffer.
        let length = name.firstIndex(of: 0) ?? name.count
        return String(decoding: name[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
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
            let checksLocalhost =
                LDAPConnection.host(of: uri).lowercased() == "localhost"
                && host.lowercased() != "localhost"
            let localhost = checksLocalhost ? " (libldap checks 'localhost' as this machine's own name)" : ""
            return "TLS: the certificate of \(uri) does not carry the name '\(host)'\(localhost) "
                + "(it names \(names.summary)): use one of its names in directory.uri"
        }
        return "TLS: the certificate of \(uri) (\(names.summary)) is not signed by a CA in \(trust), "
            + "or is not valid now: set directory.tls.caFile to the CA that issued it"
    }
}
