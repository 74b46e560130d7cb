import ArgumentParser
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Whoami: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Bind as the manifest says and print who the directory sees, how, and how the connection is protected.")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        func execute() throws -> ExitStatus {
            let session = try Session.open(manifest: try manifest.path(), directory)
            let connection = session.connection
            let authzid = try connection.whoAmI()
            let account: String? =
                switch WhoamiText.accountLookup(authzid: authzid, bound: session.bindIdentity) {
                case let .known(dn): dn
                case let .search(name):
                    try connection.search(
                        base: session.baseDN, scope: .subtree, filter: "(sAMAccountName=\(LDAPFilter.escape(name)))",
                        attributes: ["sAMAccountName"]
                    ).first?.dn
                }
            let security = connection.security
            session.logCounters()
            Terminal.out(
                WhoamiText.render(
                    .init(
                        authzid: authzid, bindIdentity: session.bindIdentity, bindMethod: security.bindMethod,
                        credentialSource: session.credentialSource, transport: security.transport, ssf: security.ssf,
                        certificateVerified: security.certificateVerified,
                        caFile: session.manifest.directory.tls.caFile,
                        accountDN: account, uri: session.uri, baseDN: session.baseDN,
                        domainController: session.domainController, tried: session.tried)))
            return .success
        }
    }
}
