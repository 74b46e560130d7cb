import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Doctor: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Read-only diagnosis of every known cause of 0x8009030E for the manifest's hosts and the given users.",
            discussion: """
                Exit 0 no findings or information only, 2 warnings, 1 errors found (or kcdctl could not run). \
                With --user and no findings, a checklist of what to check on the Hyper-V hosts follows \
                (docs/windows-side.md).
                """)

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        @Option(
            name: .customLong("user"),
            help: ArgumentHelp(
                "A user who starts live migrations (repeatable): sAMAccountName or user@REALM.", valueName: "USER"))
        var users: [String] = []

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        func execute() throws -> ExitStatus {
            let session = try Session.open(manifest: try manifest.path(), directory)
            let findings = try KCDCore.Doctor.examine(
                session.manifest, domain: session.domain, users: users, in: session.directory, now: Date(),
                domainControllers: compareDomainControllers(session), domainController: session.domainController.host)
            session.logCounters()
            Terminal.out(
                format == .json
                    ? DoctorJSON.render(findings, users: users) : DoctorText.render(findings, users: users))
            return KCDCore.Doctor.exitStatus(findings)
        }

        /// Every DC the configuration partition lists, read and compared, or why they could not be: information
        /// only, never the end of the diagnosis (a plan the DC read first refuses, e.g. over the value budget, is
        /// the drift finding's to report).
        func compareDomainControllers(_ session: Session) -> Result<DomainControllerComparison, ComparisonError> {
            do {
                let readings = try session.readEveryDomainController(session.reconciliation.read())
                return .success(
                    try DomainControllerComparison.compare(
                        readings, manifest: session.manifest, domain: session.domain))
            } catch {
                return .failure(ComparisonError(Session.describe(error)))
            }
        }
    }
}
