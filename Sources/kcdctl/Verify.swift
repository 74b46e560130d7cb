import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Verify: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove with the KDC that a host may delegate exactly as the manifest declares (S4U2Self + S4U2Proxy).",
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

        @Option(help: ArgumentHelp("The Kerberos realm (default: the manifest's domain in capitals).", valueName: "REALM"))
        var realm: String?

        @Option(name: .customLong("service"), help: ArgumentHelp("Check only targets of this service class (repeatable), e.g. cifs.", valueName: "CLASS"))
        var services: [String] = []

        @Option(name: .customLong("must-refuse"), help: ArgumentHelp("An SPN the host must NOT reach (default: cifs/ on a host of the manifest outside HOST's clusters, else on the DC of directory.uri).", valueName: "SPN"))
        var mustRefuse: String?

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        func execute() throws -> ExitStatus {
            let m = try ManifestLoader.load(path: manifest.file)
            guard let hostName = m.hosts.first(where: { $0.lowercased() == host.lowercased() }) else {
                throw UsageError("--host \(host): not a host of the manifest")
            }
            guard let domain = m.directory.domain ?? m.directory.baseDN.flatMap(DirectorySettings.domain(fromBaseDN:)) else {
                throw UsageError("cannot tell the domain: set directory.domain or directory.baseDN in \(manifest.file)")
            }
            let realm = self.realm ?? domain.uppercased()
            let user = impersonate.contains("@") ? impersonate : "\(impersonate)@\(realm)"
            let wanted = Set(services.map { $0.lowercased() })
            let declared = DesiredState.expand(m, domain: domain).hosts.first { $0.name == hostName }!.targets
                .filter { wanted.isEmpty || wanted.contains($0.serviceClass.lowercased()) }
            // A probe the KDC knows: a managed host this host does not delegate to, else the DC of the URI.
            let mine = Set(m.clusters.filter { c in c.hosts.contains { $0.lowercased() == hostName.lowercased() } }.flatMap(\.hosts).map { $0.lowercased() })
            let outsider = m.hosts.first { !mine.contains($0.lowercased()) }
            guard let refused = mustRefuse ?? outsider.map({ "cifs/\($0)" }) ?? m.directory.uri.map({ "cifs/" + LDAPConnection.host(of: $0) }) else {
                throw UsageError("name an SPN the host must not reach with --must-refuse (no directory.uri to take the DC from)")
            }
            let credentials = try KerberosCredentials(keytab: keytab, principal: principal ?? "\(hostName)$@\(realm)", forwardable: true)
            let proof = try credentials.proveDelegation(
                host: hostName, impersonating: user, realm: realm,
                targets: declared.map { ($0.value, true) } + [(refused, false)])
            Terminal.out(format == .json ? proof.renderJSON() : proof.renderText())
            return proof.exitStatus
        }
    }
}
