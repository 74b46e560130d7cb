import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Apply: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Make AD match: apply a saved plan exactly (no prompt: it was reviewed), or plan from the manifest, confirm and apply that.",
            discussion: """
                Each changed host gets one atomic modify whose value-level operations are its preconditions. \
                Every plan, saved or not, is checked against the manifest before anything is written: only its \
                hosts, only values it declares, removals only of the service classes it manages, only the two \
                delegation bits of userAccountControl. A saved plan, or one confirmed at the prompt, is also \
                checked against every planned host read again; if any changed since the plan was made, nothing \
                is written. SIGINT/SIGTERM let the host in flight finish, then stop. Exit codes: 0 done, \
                1 error (a host whose outcome is unknown is named), 3 a host changed since the plan (re-plan), \
                4 --wait-replication ended with a reachable DC still lagging, 130/143 interrupted by SIGINT/SIGTERM.

                --wait-replication DURATION (e.g. 2m): after a converged apply, list the domain's DCs from the \
                configuration partition (nTDSDSA objects), connect to each other DC with the same credentials and \
                transport rules, and poll (every 2 s, one DC after the other) until it shows every changed host \
                applied or the duration passes; one line per DC (converged, still lagging, unreachable), then the \
                klist purge advice. Exit 0 when every reachable DC converged (an unreachable DC is named but does \
                not fail the run), 4 when one still lagged.
                """)

        @Argument(help: ArgumentHelp("A plan saved by `kcdctl plan --out`.", valueName: "PLAN.json"))
        var planFile: String?

        @Option(
            name: [.short, .customLong("file")],
            help: ArgumentHelp(
                "The manifest (default: env KCDCTL_MANIFEST, else /etc/kcdctl/kcdctl.yaml). With PLAN.json: the one the plan was made from; without -f or KCDCTL_MANIFEST the plan is checked against, and connects as, the manifest inside it.",
                valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var target: TargetOption
        @OptionGroup var detail: DetailOption

        @Flag(
            name: .customLong("auto-approve"),
            help: "Apply a plan made from -f without asking (for automation); a saved PLAN.json never asks.")
        var autoApprove = false

        @Option(
            name: .customLong("max-age"),
            help: ArgumentHelp("Refuse a saved plan older than this (e.g. 24h, 90m, 3600s, 2d).", valueName: "AGE"))
        var maxAge = "24h"

        @Option(
            name: .customLong("audit-log"),
            help: ArgumentHelp("Append the audit trail (JSON Lines) here, overriding audit.file.", valueName: "PATH"))
        var auditLog: String?

        @Option(
            name: .customLong("verify-key"),
            help: ArgumentHelp(
                "Apply PLAN.json only if it is signed by this Ed25519 public key (PEM), as plans.verifyKey does.",
                valueName: "PUB"))
        var verifyKey: String?

        @Option(
            name: .customLong("wait-replication"),
            help: ArgumentHelp(
                "After applying, wait up to this long (e.g. 2m, 90s) until every other DC shows the change (default: no wait).",
                valueName: "DURATION"))
        var waitReplication: String?

        func validate() throws {
            guard PlanDocument.seconds(maxAge) != nil else {
                throw ValidationError("--max-age '\(maxAge)' is not a duration like 24h, 90m, 3600s or 2d")
            }
            if let waitReplication, (PlanDocument.seconds(waitReplication) ?? 0) <= 0 {
                throw ValidationError(
                    "--wait-replication '\(waitReplication)' is not a positive duration like 2m, 90s or 1h")
            }
        }

        func execute() throws -> ExitStatus {
            // A saved plan is checked against a manifest only when one is named (-f, KCDCTL_MANIFEST); without,
            // against the one it embeds. Planning here reads -f, KCDCTL_MANIFEST or the default.
            let manifestFile =
                planFile == nil
                ? try ManifestOption.path(file)
                : ManifestLocation.named(flag: file, environment: ProcessInfo.processInfo.environment)
            let request = ApplyRequest(
                planFile: planFile, manifestFile: manifestFile, targets: target.targets,
                maxAge: PlanDocument.seconds(maxAge)!,
                verifyKey: verifyKey, autoApprove: autoApprove)
            guard !request.needsConfirmation || Terminal.inputIsTerminal else {
                throw UsageError(
                    "no terminal to confirm on: review the change with `kcdctl plan --out PLAN.json` "
                        + "and apply that, or run apply with --auto-approve")
            }
            let workflow = try ApplyWorkflow(request, now: Date())
            // Only a writable DC is written, and everything is read from the DC written.
            let session = try Session.open(workflow.manifest, path: workflow.manifestPath, directory, writable: true)
            let proposal = try workflow.proposal(
                session.reconciliation, uri: session.discovered ? nil : session.uri, baseDN: session.baseDN)
            Terminal.out(session.header)
            PlanText.write(proposal.plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
            guard !proposal.plan.isEmpty else {
                Terminal.out("Nothing to apply.\n")
                session.logCounters()
                return .success
            }
            if request.needsConfirmation {
                Terminal.out(ApplyText.question(proposal.plan, directory: session.uri))
                guard Terminal.readLine() == "yes" else {
                    Terminal.err("kcdctl: apply cancelled; nothing was written.\n")
                    return .failure
                }
            }
            Terminal.out("\n")
            // The audit trail names the plan by its hash: the saved plan's, or that of the plan made here.
            let audit = try (auditLog ?? session.manifest.auditFile).map {
                try AuditTrail(
                    log: AuditLog(path: $0),
                    context: .init(
                        workflow.saved ?? session.document(proposal.plan, targets: target.targets),
                        uri: session.uri, baseDN: session.baseDN,
                        identity: try session.connection.whoAmI() ?? session.bindIdentity,
                        boundAs: session.bindIdentity))
            }
            Terminal.out(ApplyText.writingTo(session.domainController.host))
            let progress = proposal.plan.changes.count > 20 && Terminal.errorIsTerminal
            // From here on SIGINT and SIGTERM let the host in flight finish (bounded by --timeout), then stop.
            let signals = StopSignals()
            let outcome = try workflow.apply(
                proposal, session.reconciliation, audit: audit, stopSignal: { signals.received },
                writesDone: signals.restore,
                show: { event in
                    guard let line = ApplyText.line(for: event) else { return }
                    // On a terminal the progress line gives way to the host's line (carriage return, erase line),
                    // then comes back below it.
                    guard progress, case let .applied(_, done, total, _) = event else { return Terminal.out(line) }
                    Terminal.err("\r\u{1B}[K")
                    Terminal.out(line)
                    Terminal.err("applying: \(done)/\(total) hosts" + (done == total ? "\n" : ""))
                })
            if progress && !outcome.report.isComplete { Terminal.err("\n") }
            session.logCounters()
            let limit = waitReplication.flatMap(PlanDocument.seconds)
            let waits = limit != nil && outcome.status == .success
            let (out, err) = ApplyText.conclusion(outcome, purgeLater: waits)
            Terminal.err(err)
            Terminal.out(out)
            guard waits, let limit else { return outcome.status }
            let changes = outcome.report.applied + outcome.report.alreadyApplied
            let results: [(ReplicaDomainController, ReplicaState)]
            do {
                results = try ReplicationWaiter.wait(
                    for: changes, session: session, limit: limit)
            } catch {
                Terminal.out(ApplyText.purgeAdvice(outcome.report.hostsToPurge))
                let reason = (error as? LDAPError)?.summary ?? String(describing: error)
                Terminal.err(
                    "kcdctl: error: applied, but the domain controllers could not be listed to wait for: \(reason)\n")
                return .failure
            }
            Terminal.out(ApplyText.purgeAdvice(outcome.report.hostsToPurge))
            return ReplicationWait.status(results)
        }
    }
}
