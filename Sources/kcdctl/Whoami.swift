import ArgumentParser
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Whoami: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bind as the manifest says and print who the directory sees, how, and how the connection is protected.")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        func execute() throws -> ExitStatus {
            let session = try Session.open(manifest: manifest.file, directory)
            let connection = session.connection
            let authzid = try connection.whoAmI()
            let identity = authzid.map { "\($0)  (LDAP Who-am-I)" }
                ?? "\(session.bindIdentity)  (as bound; this server does not implement LDAP Who-am-I)"
            let account = try accountDN(authzid: authzid, bound: session.bindIdentity, session)
            let security = connection.security
            var bind = security.bindMethod ?? "none"
            if bind == "GSSAPI" {
                bind += " (Kerberos) as \(session.bindIdentity), credentials from \(session.credentialSource ?? "?")"
            }
            var protection: String
            switch (security.transport, security.ssf) {
            case ("none", let ssf?) where ssf > 0: protection = "SASL sealing (GSSAPI), security strength factor \(ssf)"
            case ("none", _): protection = "NONE: the connection is not encrypted"
            case (let transport, _):
                protection = transport
                let trust = session.manifest.directory.tls.caFile.map { "CA file \($0)" } ?? "the system trust store"
                protection += security.certificateVerified == true
                    ? ", certificate and name verified against \(trust)" : ", certificate NOT verified (insecureSkipVerify)"
            }
            session.logCounters()
            Terminal.out("""
                identity:   \(identity)
                account:    \(account ?? "(not found under \(session.baseDN))")
                bind:       \(bind)
                protection: \(protection)
                server:     \(session.uri)

                """)
            return .success
        }

        /// The DN of the bound account: from a `dn:` authzid, or looked up by sAMAccountName.
        func accountDN(authzid: String?, bound: String, _ session: Session) throws -> String? {
            if let authzid, authzid.hasPrefix("dn:") { return String(authzid.dropFirst(3)) }
            var name = authzid.map { String($0.drop { $0 != "\\" }.dropFirst()) } ?? ""
            if name.isEmpty {
                if bound.contains("=") { return bound }
                name = String(bound.prefix { $0 != "@" })
            }
            let entries = try session.connection.search(
                base: session.baseDN, scope: .subtree, filter: "(sAMAccountName=\(LDAPFilter.escape(name)))",
                attributes: ["sAMAccountName"])
            return entries.first?.dn
        }
    }
}
