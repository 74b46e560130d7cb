import ArgumentParser
import Foundation
import KCDCore

@main
struct Kcdctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kcdctl",
        abstract:
            "Keeps Kerberos constrained delegation of Hyper-V hosts in Active Directory as a manifest declares it.",
        discussion: ExitStatus.helpTable,
        version: BuildInfo.current.versionLine,
        subcommands: [
            Validate.self, Plan.self, Apply.self, Drift.self, Show.self, Whoami.self, Verify.self, Doctor.self,
            Import.self, Keygen.self,
        ]
    )

    /// As ArgumentParser's, except that a usage error (an unknown option or subcommand, a missing -f) exits 1
    /// as the help promises, not 64 (EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(ExitStatus.failure.rawValue)
        }
    }
}
