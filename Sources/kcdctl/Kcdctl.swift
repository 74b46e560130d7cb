import ArgumentParser
import Foundation
import KCDCore

@main
struct Kcdctl: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "kcdctl",
        abstract: "Keeps Kerberos constrained delegation of Hyper-V hosts in Active Directory as a manifest declares it.",
        discussion: """
            Exit codes: 0 success (no changes / in sync), 1 error or invalid input (a usage error included), \
            2 changes pending (plan --detailed-exitcode), drift (drift), warnings (doctor; 1 for errors, 0 for \
            information only) or a KDC that does not grant what the manifest declares (verify), 3 a host changed \
            since the plan (apply) or an inconclusive verify (the KDC cannot judge the SPN that must be \
            refused), 130/143 apply stopped by SIGINT/SIGTERM after the host in flight.
            """,
        version: version,
        subcommands: [Validate.self, Plan.self, Apply.self, Drift.self, Show.self, Whoami.self, Verify.self, Doctor.self, Keygen.self]
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
            Foundation.exit(1)
        }
    }
}
