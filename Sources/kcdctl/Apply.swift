import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Apply: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make AD match: apply a saved plan exactly (no prompt: it was reviewed), or plan from the manifest, confirm and apply that.",
            discussion: """
                Each changed host gets one atomic modify whose value-level operations are its preconditions. \
                Every plan, saved or not, is checked against the manifest before anything is written: only its \
                hosts, only values it declares, removals only of the service classes it manages, only the two \
                delegation bits of userAccountControl. A saved plan, or one confirmed at the prompt, is also \
                checked against every planned host read again; if any changed since the plan was made, nothing \
                is written. SIGINT/SIGTERM let the host in flight finish, then stop. Exit codes: 0 done, \
                1 error (a host whose outcome is unknown is named), 3 a host changed since the plan (re-plan), \
                130/143 interrupted by SIGINT/SIGTERM.
                """)

        @Argument(help: ArgumentHelp("A plan saved by `kcdctl plan --out`.", valueName: "PLAN.json"))
        var planFile: String?

        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The manifest. With PLAN.json: it must be the one the plan was made from (without -f, the plan is checked against, and connects as, the manifest inside it).", valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var target: TargetOption
        @OptionGroup var detail: DetailOption

        @Flag(name: .customLong("auto-approve"), help: "Apply a plan made from -f without asking (for automation); a saved PLAN.json never asks.")
        var autoApprove = false

        @Option(name: .customLong("max-age"), help: ArgumentHelp("Refuse a saved plan older than this (e.g. 24h, 90m, 3600s, 2d).", valueName: "AGE"))
        var maxAge = "24h"

        @Option(name: .customLong("audit-log"), help: ArgumentHelp("Append the audit trail (JSON Lines) here, overriding audit.file.", valueName: "PATH"))
        var auditLog: String?

        @Option(name: .customLong("verify-key"), help: ArgumentHelp("Apply PLAN.json only if it is signed by this Ed25519 public key (PEM), as plans.verifyKey does.", valueName: "PUB"))
        var verifyKey: String?

        func validate() throws {
            guard planFile != nil || file != nil else {
                throw ValidationError("name a saved plan (kcdctl apply PLAN.json) or a manifest (-f FILE)")
            }
            guard Self.seconds(maxAge) != nil else { throw ValidationError("--max-age '\(maxAge)' is not a duration like 24h, 90m, 3600s or 2d") }
        }

        func execute() throws -> ExitStatus {
            // A saved plan was reviewed: that was the approval (as `terraform apply PLAN`). Only a plan made here
            // and now is confirmed at a prompt.
            guard autoApprove || planFile != nil || Terminal.inputIsTerminal else {
                throw UsageError("no terminal to confirm on: review the change with `kcdctl plan --out PLAN.json` and apply that, or run apply with --auto-approve")
            }
            // Everything about a saved plan is checked before a connection is made or a credential is read.
            let saved = try planFile.map(load)
            let manifest: Manifest
            let manifestPath: String
            if let file {
                manifest = try ManifestLoader.load(path: file)
                manifestPath = file
                try saved?.checkManifest(manifest, path: file)
            } else {
                // The plan is self-contained: it is checked against, and connects as, the manifest inside it.
                manifestPath = saved!.manifest.path
                manifest = try ManifestLoader.load(contents: Array(saved!.manifest.content.utf8), path: manifestPath)
            }
            try checkSignature(saved, manifest: manifest, manifestPath: manifestPath)

            let session = try Session.open(manifest, path: manifestPath, directory)
            try target.check(session.manifest)
            let reconciliation = session.reconciliation

            var plan: KCDCore.Plan
            var snapshot: Reconciliation.Snapshot?
            if let saved {
                try saved.checkDirectory(uri: session.uri, baseDN: session.baseDN)
                plan = try saved.plan(limitedTo: target.targets)
            } else {
                snapshot = try reconciliation.read()
                plan = try reconciliation.plan(snapshot!, targets: target.targets)
            }
            Terminal.out(session.header)
            PlanText.write(plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
            guard !plan.isEmpty else {
                Terminal.out("Nothing to apply.\n")
                session.logCounters()
                return .success
            }
            if !autoApprove && saved == nil {
                Terminal.out("\nApply these changes to \(plan.changes.count) host\(plan.changes.count == 1 ? "" : "s") in \(session.uri)? Only 'yes' is accepted: ")
                guard Terminal.readLine() == "yes" else {
                    Terminal.err("kcdctl: apply cancelled; nothing was written.\n")
                    return .failure
                }
            }
            Terminal.out("\n")

            // The audit trail names the plan by its hash: the saved plan's, or that of the plan made here.
            let audit = try (auditLog ?? session.manifest.auditFile).map(AuditLog.init(path:))
            let trail = try audit.map { log in
                AuditTrail(log: log, session: session, document: saved ?? session.document(plan, targets: target.targets),
                           identity: try session.connection.whoAmI() ?? session.bindIdentity)
            }
            let progress = plan.changes.count > 20 && Terminal.errorIsTerminal
            // From here on SIGINT and SIGTERM let the host in flight finish (bounded by --timeout), then stop.
            let signals = StopSignals()
            // A plan computed moments ago in this run, with no one asked to confirm, is checked against that
            // read; any other is checked against a new one.
            let report = try reconciliation.apply(
                plan, readInThisRun: saved == nil && autoApprove ? snapshot : nil, shouldStop: { signals.received != nil }
            ) { event in
                if case .intent = event {
                    try trail?.record(event)
                    return
                }
                if case let .alreadyApplied(change) = event {
                    Terminal.out("\(change.host): already applied (it holds the plan's result)\n")
                }
                if case let .applied(change, done, total, confirmed) = event {
                    let lost = confirmed ? "; the DC's answer was lost, a re-read shows the change in place" : ""
                    // On a terminal the progress line gives way to the host's line (carriage return, erase line),
                    // then comes back below it.
                    if progress { Terminal.err("\r\u{1B}[K") }
                    Terminal.out("\(change.host): applied (\(describe(change))\(lost))\n")
                    if progress { Terminal.err("applying: \(done)/\(total) hosts" + (done == total ? "\n" : "")) }
                }
                try trail?.record(event)
                if case let .applied(_, done, _, _) = event { TestHook.pauseIfAsked(afterHosts: done) }
            }
            signals.restore()
            if progress && !report.isComplete { Terminal.err("\n") }
            if !report.isComplete {
                session.logCounters()
                return failed(report, signal: signals.received)
            }

            let after = try reconciliation.plan(targets: saved?.targets ?? target.targets)
            session.logCounters()
            guard after.isEmpty else {
                Terminal.err("kcdctl: error: applied, but AD still differs from the manifest (changed by someone else meanwhile, or the manifest changed since the plan):\n" + PlanText.render(after))
                Terminal.out(purgeAdvice(report.hostsToPurge))
                return .failure
            }
            Terminal.out("\nConverged: re-read \(after.unchanged.count) host\(after.unchanged.count == 1 ? "" : "s"); all match the manifest.\n")
            Terminal.out(purgeAdvice(report.hostsToPurge))
            return .success
        }

        /// A saved plan, refused when unreadable, tampered with, too old or from the future.
        func load(_ path: String) throws -> PlanDocument {
            do {
                let document = try PlanDocument.decode(try RegularFile.read(path, what: "saved plan", limit: PlanDocument.maximumFileSize))
                try document.checkAge(now: Date(), maxAge: Self.seconds(maxAge)!)
                return document
            } catch let error as PlanDocumentError {
                throw UsageError("\(path): \(error)")
            }
        }

        /// `--verify-key`, and `plans.verifyKey` of the manifest: a saved plan must carry a signature each
        /// verifies; with the manifest's key set, only saved plans are applied.
        func checkSignature(_ saved: PlanDocument?, manifest: Manifest, manifestPath: String) throws {
            let keys = [verifyKey, manifest.planVerifyKey].compactMap { $0 }
            guard !keys.isEmpty else { return }
            guard let saved else {
                throw UsageError(verifyKey != nil
                    ? "--verify-key checks a saved plan: run kcdctl apply PLAN.json"
                    : "plans.verifyKey in \(manifestPath): apply takes only signed saved plans (kcdctl plan --out PLAN.json --sign-key KEY, then kcdctl apply PLAN.json); nothing was written")
            }
            for path in keys {
                let key = try Keys.verifyingKey(path)
                do {
                    try saved.verifySignature(with: key)
                } catch let error as PlanSignatureError {
                    throw UsageError("\(planFile!): \(error); nothing was written")
                }
            }
        }

        func failed(_ report: ApplyReport, signal: Int32?) -> ExitStatus {
            if let failure = report.failure {
                Terminal.error(HostFailure(host: failure.change.host, error: failure.error))
            }
            for unknown in report.unknown {
                Terminal.err("kcdctl: error: \(unknown.change.host): outcome unknown: \(unknown.detail)\n")
            }
            for stale in report.stale {
                Terminal.err("kcdctl: error: \(stale.change.host) changed since the plan was made: \(stale.difference)\n")
            }
            if let auditError = report.auditFailure {
                Terminal.err("kcdctl: error: the audit trail could not be written (\(auditError)): stopped before the next host\n")
            }
            if let signal {
                Terminal.err("kcdctl: \(signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"): stopped after the host in flight\n")
            }
            func names(_ changes: [HostChange]) -> String {
                changes.isEmpty ? "none" : changes.map(\.host).joined(separator: ", ")
            }
            var lines = ["  applied:       \(names(report.applied))"]
            if !report.alreadyApplied.isEmpty { lines.append("  already done:  \(names(report.alreadyApplied))") }
            if let failure = report.failure { lines.append("  failed:        \(failure.change.host) (nothing written to it)") }
            if !report.unknown.isEmpty {
                lines.append("  unknown:       \(names(report.unknown.map(\.change))) (the DC may have applied it: run kcdctl plan to see)")
            }
            if !report.stale.isEmpty { lines.append("  stale:         \(names(report.stale.map(\.change))) (nothing written to \(report.stale.count == 1 ? "it" : "them"))") }
            lines.append("  not attempted: \(names(report.notAttempted))")
            lines.append(report.stale.isEmpty
                ? "Fix the cause and run apply again: it changes only what is still different."
                : "Make a new plan (kcdctl plan --out) and review it: AD changed since this one.")
            Terminal.err(lines.joined(separator: "\n") + "\n")
            if !report.hostsToPurge.isEmpty { Terminal.err(purgeAdvice(report.hostsToPurge)) }
            if let signal, let status = ExitStatus(signal: signal) { return status }
            return report.stale.isEmpty ? .failure : .stale
        }

        func describe(_ change: HostChange) -> String {
            var parts: [String] = []
            if !change.add.isEmpty { parts.append("\(change.add.count) added") }
            if !change.remove.isEmpty { parts.append("\(change.remove.count) removed") }
            if let uac = change.userAccountControl { parts.append("userAccountControl \(uac.from) -> \(uac.to)") }
            return parts.joined(separator: ", ")
        }

        func purgeAdvice(_ hosts: [String]) -> String {
            """

            Kerberos tickets cached on these hosts still carry the old delegation: \(hosts.joined(separator: ", ")).
            On each, run as administrator `klist purge -li 0x3e7` (the SYSTEM logon session), or wait about 15 minutes.

            """
        }

        /// `24h`, `90m`, `3600s`, `2d`, or plain seconds.
        static func seconds(_ text: String) -> Double? {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            if let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value >= 0 { return value * factor }
            return Double(text).flatMap { $0 >= 0 ? $0 : nil }
        }
    }
}

/// A write that failed on one host.
struct HostFailure: Error, CustomStringConvertible {
    var host: String
    var error: any Error
    var description: String { "\(host): \(error)" }
}

/// What `apply` appends to the audit log, one record per host it wrote or refused.
struct AuditTrail {
    let log: AuditLog
    let session: Session
    let document: PlanDocument
    let identity: String

    struct Record: Encodable {
        struct Operation: Encodable {
            var op: String
            var attribute: String
            var values: [String]
        }
        var time: String
        var identity: String
        var boundAs: String
        var directory: String
        var baseDN: String
        var manifestSHA256: String
        var planSHA256: String
        var host: String
        var dn: String
        var operations: [Operation]
        /// intent (written before the request is sent), then its outcome: applied, failed (refused by the
        /// directory: nothing written), unknown (no answer: the directory may have applied it), stale (the host
        /// changed since the plan: nothing sent) or refused (the plan leaves the manifest: nothing sent).
        var result: String
        var code: Int32?
        var codeName: String?
        var message: String?
    }

    func record(_ event: ApplyEvent) throws {
        let (change, result, message): (HostChange, String, String?) = switch event {
        case let .intent(change): (change, "intent", nil)
        case let .applied(change, _, _, confirmed):
            (change, "applied", confirmed ? "the directory's answer was lost; a re-read over a new connection shows the change in place" : nil)
        case let .stale(change, difference): (change, "stale", difference)
        case let .failed(change, error): (change, "failed", String(describing: error))
        case let .unknown(change, detail): (change, "unknown", detail)
        case let .refused(change, violation): (change, "refused", String(describing: violation))
        case let .alreadyApplied(change): (change, "already-applied", "the host already holds the plan's result; nothing sent")
        }
        var code: Int32? = result == "applied" ? 0 : nil
        var codeName: String? = result == "applied" ? "success" : nil
        if case let .failed(_, failure) = event, let ldap = failure as? LDAPError {
            code = ldap.code
            codeName = ldap.name
        }
        try log.append(Record(
            time: PlanDocument.timestamp(Date()), identity: identity, boundAs: session.bindIdentity,
            directory: session.uri, baseDN: session.baseDN, manifestSHA256: document.manifest.sha256,
            planSHA256: document.sha256 ?? "", host: change.host, dn: change.dn,
            operations: change.operations.map {
                Record.Operation(op: $0.kind.rawValue, attribute: $0.attribute, values: $0.values)
            },
            result: result, code: code, codeName: codeName, message: message))
    }
}

/// SIGINT and SIGTERM while apply writes: noted, not obeyed at once, so that the host in flight finishes
/// (each LDAP call is bounded by --timeout), its audit record is written and the summary printed.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in lock.withLock { signal = signal ?? number } }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? { lock.withLock { signal } }

    /// Back to the default actions.
    func restore() {
        for source in sources { source.cancel() }
        Glibc.signal(SIGINT, SIG_DFL)
        Glibc.signal(SIGTERM, SIG_DFL)
    }
}

/// For the fault tests only: with KCDCTL_TEST_PAUSE_AFTER_HOSTS=N and KCDCTL_TEST_PAUSE_FILE=PATH, apply
/// creates PATH.paused after N hosts and waits (at most 2 minutes) until PATH is removed, so that a test can
/// stop the directory in the middle of an apply.
enum TestHook {
    static func pauseIfAsked(afterHosts done: Int) {
        let env = ProcessInfo.processInfo.environment
        guard let n = env["KCDCTL_TEST_PAUSE_AFTER_HOSTS"].flatMap(Int.init), n == done,
              let file = env["KCDCTL_TEST_PAUSE_FILE"] else { return }
        FileManager.default.createFile(atPath: file + ".paused", contents: nil)
        let deadline = Date().addingTimeInterval(120)
        while FileManager.default.fileExists(atPath: file), Date() < deadline { usleep(50_000) }
    }
}
