import ArgumentParser
import KCDCore

extension Kcdctl {
    struct Apply: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make AD match the manifest: plan, confirm, write one atomic modify per changed host, re-read.")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        @Flag(name: .customLong("auto-approve"), help: "Apply without asking (for automation).")
        var autoApprove = false

        func execute() throws -> Int32 {
            guard autoApprove || Terminal.inputIsTerminal else {
                throw UsageError("no terminal to confirm on: review the change with `kcdctl plan`, then run apply with --auto-approve")
            }
            let session = try Session.open(manifest: manifest.file, directory)
            let reconciliation = session.reconciliation
            let plan = try reconciliation.plan()
            Terminal.out(session.header + PlanText.render(plan))
            guard !plan.isEmpty else {
                Terminal.out("Nothing to apply.\n")
                session.logCounters()
                return 0
            }
            if !autoApprove {
                Terminal.out("\nApply these changes to \(plan.changes.count) host\(plan.changes.count == 1 ? "" : "s") in \(session.uri)? Only 'yes' is accepted: ")
                guard Terminal.readLine() == "yes" else {
                    Terminal.err("kcdctl: apply cancelled; nothing was written.\n")
                    return 1
                }
            }
            Terminal.out("\n")
            let report = reconciliation.apply(plan) { change in
                Terminal.out("\(change.host): applied (\(describe(change)))\n")
            }
            if let failure = report.failure {
                Terminal.error(HostFailure(host: failure.change.host, error: failure.error))
                Terminal.err(outcome(report))
                if !report.applied.isEmpty { Terminal.err(purgeAdvice(report.hostsToPurge)) }
                session.logCounters()
                return 1
            }

            let after = try reconciliation.plan()
            session.logCounters()
            guard after.isEmpty else {
                Terminal.err("kcdctl: error: applied, but AD still differs from the manifest (changed by someone else meanwhile?):\n" + PlanText.render(after))
                Terminal.out(purgeAdvice(report.hostsToPurge))
                return 1
            }
            Terminal.out("\nConverged: re-read \(after.unchanged.count) host\(after.unchanged.count == 1 ? "" : "s"); all match the manifest.\n")
            Terminal.out(purgeAdvice(report.hostsToPurge))
            return 0
        }

        func describe(_ change: HostChange) -> String {
            var parts: [String] = []
            if !change.add.isEmpty { parts.append("\(change.add.count) added") }
            if !change.remove.isEmpty { parts.append("\(change.remove.count) removed") }
            if let uac = change.userAccountControl { parts.append("userAccountControl \(uac.from) -> \(uac.to)") }
            return parts.joined(separator: ", ")
        }

        func outcome(_ report: ApplyReport) -> String {
            func names(_ changes: [HostChange]) -> String {
                changes.isEmpty ? "none" : changes.map(\.host).joined(separator: ", ")
            }
            return """
                  applied:       \(names(report.applied))
                  failed:        \(report.failure.map { $0.change.host } ?? "none") (nothing written to it)
                  not attempted: \(names(report.notAttempted))
                Fix the cause and run apply again: it changes only what is still different.

                """
        }

        func purgeAdvice(_ hosts: [String]) -> String {
            """

            Kerberos tickets cached on these hosts still carry the old delegation: \(hosts.joined(separator: ", ")).
            On each, run as administrator `klist purge -li 0x3e7` (the SYSTEM logon session), or wait about 15 minutes.

            """
        }
    }
}

/// A write that failed on one host.
struct HostFailure: Error, CustomStringConvertible {
    var host: String
    var error: any Error
    var description: String { "\(host): \(error)" }
}
