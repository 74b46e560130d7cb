import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Apply: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make AD match: apply a saved plan exactly, or plan from the manifest and apply that.",
            discussion: """
                Each changed host gets one atomic modify whose value-level operations are its preconditions. \
                A saved plan, or one confirmed at the prompt, is first checked against every planned host read \
                again; if any changed since the plan was made, nothing is written. Exit codes: 0 done, 1 error, \
                3 a host changed since the plan (re-plan).
                """)

        @Argument(help: ArgumentHelp("A plan saved by `kcdctl plan --out`.", valueName: "PLAN.json"))
        var planFile: String?

        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The manifest. With PLAN.json: it must be the one the plan was made from.", valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var target: TargetOption

        @Flag(name: .customLong("auto-approve"), help: "Apply without asking (for automation).")
        var autoApprove = false

        @Option(name: .customLong("max-age"), help: ArgumentHelp("Refuse a saved plan older than this (e.g. 24h, 90m, 3600s, 2d).", valueName: "AGE"))
        var maxAge = "24h"

        @Option(name: .customLong("audit-log"), help: ArgumentHelp("Append the audit trail (JSON Lines) here, overriding audit.file.", valueName: "PATH"))
        var auditLog: String?

        func validate() throws {
            guard planFile != nil || file != nil else {
                throw ValidationError("name a saved plan (kcdctl apply PLAN.json) or a manifest (-f FILE)")
            }
            guard Self.seconds(maxAge) != nil else { throw ValidationError("--max-age '\(maxAge)' is not a duration like 24h, 90m, 3600s or 2d") }
        }

        func execute() throws -> Int32 {
            guard autoApprove || Terminal.inputIsTerminal else {
                throw UsageError("no terminal to confirm on: review the change with `kcdctl plan`, then run apply with --auto-approve")
            }
            var saved: PlanDocument?
            if let planFile { saved = try load(planFile) }
            let session = try Session.open(manifest: file ?? saved!.manifest.path, directory)
            try target.check(session.manifest)
            let reconciliation = session.reconciliation

            var plan: KCDCore.Plan
            if let saved {
                try check(saved, against: session)
                plan = try saved.plan
                if let targets = target.targets {
                    let wanted = Set(targets.map { $0.lowercased() })
                    plan.changes.removeAll { !wanted.contains($0.host.lowercased()) }
                }
            } else {
                plan = try reconciliation.plan(targets: target.targets)
            }
            Terminal.out(session.header)
            PlanText.write(plan, color: Terminal.color, to: Terminal.out)
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

            // The audit trail names the plan by its hash: the saved plan's, or that of the plan made here.
            let audit = try (auditLog ?? session.manifest.auditFile).map(AuditLog.init(path:))
            let trail = try audit.map { log in
                AuditTrail(log: log, session: session, document: saved ?? session.document(plan, targets: target.targets),
                           identity: try session.connection.whoAmI() ?? session.bindIdentity)
            }
            let progress = plan.changes.count > 20 && Terminal.errorIsTerminal
            var auditError: (any Error)?
            // A plan computed moments ago in this run, with no one asked to confirm, needs no second read.
            let report = try reconciliation.apply(plan, recheck: saved != nil || !autoApprove) { event in
                do { try trail?.record(event) } catch { auditError = auditError ?? error }
                if case let .applied(change, done, total) = event {
                    Terminal.out("\(change.host): applied (\(describe(change)))\n")
                    if progress { Terminal.err("\rapplying: \(done)/\(total) hosts" + (done == total ? "\n" : "")) }
                    TestHook.pauseIfAsked(afterHosts: done)
                }
            }
            if progress && !report.isComplete { Terminal.err("\n") }
            if let auditError { Terminal.warn("the audit trail is incomplete: \(auditError)") }
            if !report.isComplete {
                session.logCounters()
                return failed(report)
            }

            let after = try reconciliation.plan(targets: saved?.targets ?? target.targets)
            session.logCounters()
            guard after.isEmpty else {
                Terminal.err("kcdctl: error: applied, but AD still differs from the manifest (changed by someone else meanwhile, or the manifest changed since the plan):\n" + PlanText.render(after))
                Terminal.out(purgeAdvice(report.hostsToPurge))
                return 1
            }
            Terminal.out("\nConverged: re-read \(after.unchanged.count) host\(after.unchanged.count == 1 ? "" : "s"); all match the manifest.\n")
            Terminal.out(purgeAdvice(report.hostsToPurge))
            return 0
        }

        /// A saved plan, refused when unreadable, tampered with, or too old.
        func load(_ path: String) throws -> PlanDocument {
            let document: PlanDocument
            do {
                document = try PlanDocument.decode(try Files.read(path))
            } catch let error as PlanDocumentError {
                throw UsageError("\(path): \(error)")
            }
            guard let created = document.createdDate else { throw UsageError("\(path): its createdAt '\(document.createdAt)' is not a time") }
            let age = Date().timeIntervalSince(created)
            let limit = Self.seconds(maxAge)!
            guard age <= limit else {
                throw UsageError("\(path) was made \(Self.duration(age)) ago, more than --max-age \(maxAge): make a new plan")
            }
            return document
        }

        /// The plan must be for this directory and, when -f names the manifest, for this manifest's content.
        func check(_ document: PlanDocument, against session: Session) throws {
            guard document.directory.uri.lowercased() == session.uri.lowercased(),
                  Self.normalized(document.directory.baseDN) == Self.normalized(session.baseDN) else {
                throw UsageError("the plan is for \(document.directory.uri) (\(document.directory.baseDN)), not \(session.uri) (\(session.baseDN)); nothing was written")
            }
            guard session.manifest.sha256 == document.manifest.sha256 else {
                if file != nil {
                    throw UsageError("\(session.manifestPath) is not the manifest the plan was made from (sha256 \(session.manifest.sha256 ?? "?") ≠ \(document.manifest.sha256)): make a new plan; nothing was written")
                }
                Terminal.warn("\(session.manifestPath) changed since the plan was made; applying the reviewed plan as saved")
                return
            }
        }

        func failed(_ report: ApplyReport) -> Int32 {
            if let failure = report.failure {
                Terminal.error(HostFailure(host: failure.change.host, error: failure.error))
            }
            for stale in report.stale {
                Terminal.err("kcdctl: error: \(stale.change.host) changed since the plan was made: \(stale.difference)\n")
            }
            func names(_ changes: [HostChange]) -> String {
                changes.isEmpty ? "none" : changes.map(\.host).joined(separator: ", ")
            }
            var lines = ["  applied:       \(names(report.applied))"]
            if let failure = report.failure { lines.append("  failed:        \(failure.change.host) (nothing written to it)") }
            if !report.stale.isEmpty { lines.append("  stale:         \(names(report.stale.map(\.change))) (nothing written to \(report.stale.count == 1 ? "it" : "them"))") }
            lines.append("  not attempted: \(names(report.notAttempted))")
            lines.append(report.stale.isEmpty
                ? "Fix the cause and run apply again: it changes only what is still different."
                : "Make a new plan (kcdctl plan --out) and review it: AD changed since this one.")
            Terminal.err(lines.joined(separator: "\n") + "\n")
            if !report.applied.isEmpty { Terminal.err(purgeAdvice(report.hostsToPurge)) }
            return report.stale.isEmpty ? 1 : 3
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

        static func duration(_ seconds: Double) -> String {
            seconds >= 7200 ? "\(Int(seconds / 3600)) h" : seconds >= 120 ? "\(Int(seconds / 60)) min" : "\(Int(seconds)) s"
        }

        static func normalized(_ dn: String) -> String {
            dn.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.joined(separator: ",")
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
        /// applied, stale (refused: the host changed since the plan) or failed.
        var result: String
        var code: Int32?
        var codeName: String?
        var message: String?
    }

    func record(_ event: ApplyEvent) throws {
        let (change, result, error): (HostChange, String, String?) = switch event {
        case let .applied(change, _, _): (change, "applied", nil)
        case let .stale(change, difference): (change, "stale", difference)
        case let .failed(change, error): (change, "failed", String(describing: error))
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
            operations: ActiveDirectory.modifications(change).map {
                Record.Operation(op: "\($0.operation)", attribute: $0.attribute, values: $0.values)
            },
            result: result, code: code, codeName: codeName, message: error))
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
