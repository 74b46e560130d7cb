import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Verify: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Prove with the KDC that a host may delegate exactly as the manifest declares (S4U2Self + S4U2Proxy).",
            discussion: """
                Uses the host's own key (its keytab), in memory, so it belongs in labs and pipelines that hold host \
                keytabs; production hosts' keys normally stay on the hosts. Needs no LDAP bind. Exit 0 when the KDC \
                grants every declared target and refuses the undeclared one, 2 when it does not, 3 when every declared \
                target is granted but the KDC cannot judge the SPN that must be refused (it does not know it: \
                inconclusive), 1 on error.
                """)

        @OptionGroup var manifest: ManifestOption

        @Option(help: ArgumentHelp("The host to prove delegation for (a host of the manifest).", valueName: "HOST"))
        var host: String

        @Option(help: ArgumentHelp("The host's keytab (mode 0600).", valueName: "FILE"))
        var keytab: String

        @Option(help: ArgumentHelp("The user to act for, as user@REALM.", valueName: "USER"))
        var impersonate: String

        @Option(help: ArgumentHelp("The host's principal (default HOST$@REALM).", valueName: "NAME"))
        var principal: String?

        @Option(
            help: ArgumentHelp("The Kerberos realm (default: the manifest's domain in capitals).", valueName: "REALM"))
        var realm: String?

        @Option(
            name: .customLong("service"),
            help: ArgumentHelp("Check only targets of this service class (repeatable), e.g. cifs.", valueName: "CLASS"))
        var services: [String] = []

        @Option(
            name: .customLong("must-refuse"),
            help: ArgumentHelp(
                "An SPN the host must NOT reach (default: cifs/ on a host of the manifest outside HOST's clusters, else on the DC of directory.uri, else on the PDC emulator DNS names).",
                valueName: "SPN"))
        var mustRefuse: String?

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        func execute() throws -> ExitStatus {
            let path = try manifest.path()
            let m = try ManifestLoader.load(path: path)
            let request = try DelegationProof.Request(
                manifest: m, manifestPath: path, host: host, impersonate: impersonate, principal: principal,
                realm: realm, services: services, mustRefuse: mustRefuse,
                directoryHost: { domain in
                    m.directory.uri.map(LDAPConnection.host(of:))
                        ?? DomainControllers.someDomainController(domain: domain)
                })
            let credentials = try KerberosCredentials(keytab: keytab, principal: request.principal, forwardable: true)
            var proof = try credentials.proveDelegation(
                host: request.host, impersonating: request.impersonated, realm: request.realm, targets: request.targets)
            proof.resourceBased = request.resourceBased
            Terminal.out(format == .json ? ProofJSON.render(proof) : ProofText.render(proof))
            return proof.exitStatus
        }
    }
}
