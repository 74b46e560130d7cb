import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Doctor: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read-only diagnosis of every known cause of 0x8009030E for the manifest's hosts and the given users.",
            discussion: "Exit 0 no findings or information only, 2 warnings, 1 errors found (or kcdctl could not run).")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        @Option(name: .customLong("user"), help: ArgumentHelp("A user who starts live migrations (repeatable): sAMAccountName or user@REALM.", valueName: "USER"))
        var users: [String] = []

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        func execute() throws -> ExitStatus {
            let session = try Session.open(manifest: manifest.file, directory)
            let ad = session.directory
            let observed = try ad.computers(named: session.manifest.accountNames)
            let mappings = try ad.spnMappings()
            let spns = KCDCore.Doctor.spnsToLookUp(session.manifest, domain: session.domain, observed: observed, mappings: mappings)
            let findings = KCDCore.Doctor.diagnose(.init(
                manifest: session.manifest, domain: session.domain, observed: observed, spnMappings: mappings,
                spnHolders: try ad.spnHolders(spns), users: try ad.users(named: users), now: Date()))
            session.logCounters()
            Terminal.out(format == .json ? KCDCore.Doctor.renderJSON(findings) : KCDCore.Doctor.renderText(findings))
            return KCDCore.Doctor.exitStatus(findings)
        }
    }
}
