import Foundation

/// What `apply` tells as it goes and when it ends: a line per host written (stdout), and the conclusion:
/// converged, or what still differs, or which hosts were applied, failed, stale or not attempted (stderr).
public enum ApplyText {
    /// The question asked on a terminal before a plan made in this run is applied.
    public static func question(_ plan: Plan, directory uri: String) -> String {
        let n = plan.changes.count
        return "\nApply these changes to \(n) host\(n == 1 ? "" : "s") in \(uri)? Only 'yes' is accepted: "
    }

    /// Before the first write: the DC written, checked writable (a read-only DC is never written).
    public static func writingTo(_ host: String) -> String {
        "Writing to \(host) (writable).\n"
    }

    /// The line on stdout for a host done, or nil for an event that is not told there (intents, and refusals
    /// that the summary names).
    public static func line(for event: ApplyEvent) -> String? {
        switch event {
        case let .alreadyApplied(change): "\(change.host): already applied (it holds the plan's result)\n"
        case let .applied(change, _, _, confirmed):
            "\(change.host): applied (\(describe(change))"
                + "\(confirmed ? "; the DC's answer was lost, a re-read shows the change in place" : ""))\n"
        default: nil
        }
    }

    /// How the apply ended, for stdout and stderr.
    /// - Parameter purgeLater: the purge advice is left out of a converged apply's text: it comes after the
    ///   replication wait (`replicationWait`, then `purgeAdvice`).
    public static func conclusion(_ outcome: ApplyOutcome, purgeLater: Bool = false) -> (out: String, err: String) {
        let purge = purgeAdvice(outcome.report.hostsToPurge)
        guard outcome.report.isComplete, let remaining = outcome.remaining else {
            return ("", summary(outcome.report, signal: outcome.signal))
        }
        guard remaining.isEmpty else {
            return (
                purge,
                "kcdctl: error: applied, but AD still differs from the manifest (changed by someone else "
                    + "meanwhile, or the manifest changed since the plan):\n" + PlanText.render(remaining)
            )
        }
        let n = remaining.unchanged.count
        return (
            "\nConverged: re-read \(n) host\(n == 1 ? "" : "s"); all match the manifest.\n" + (purgeLater ? "" : purge),
            ""
        )
    }

    /// An apply that stopped short: why, then each host's state and what to do next.
    static func summary(_ report: ApplyReport, signal: Int32?) -> String {
        var out = ""
        if let failure = report.failure {
            let line = "\(failure.change.host): \(failure.error)".replacingOccurrences(of: "\n", with: " ")
            out += "kcdctl: error: \(line)\n"
        }
        for unknown in report.unknown {
            out += "kcdctl: error: \(unknown.change.host): outcome unknown: \(unknown.detail)\n"
        }
        for stale in report.stale {
            out += "kcdctl: error: \(stale.change.host) changed since the plan was made: \(stale.difference)\n"
        }
        if let auditError = report.auditFailure {
            out += "kcdctl: error: the audit trail could not be written (\(auditError)): stopped before the next host\n"
        }
        if let signal {
            let what = signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"
            out += "kcdctl: \(what): stopped after the host in flight\n"
        }
        func names(_ changes: [HostChange]) -> String {
            changes.isEmpty ? "none" : changes.map(\.host).joined(separator: ", ")
        }
        var lines = ["  applied:       \(names(report.applied))"]
        if !report.alreadyApplied.isEmpty { lines.append("  already done:  \(names(report.alreadyApplied))") }
        if let failure = report.failure {
            lines.append("  failed:        \(failure.change.host) (nothing written to it)")
        }
        if !report.unknown.isEmpty {
            let hosts = names(report.unknown.map(\.change))
            lines.append("  unknown:       \(hosts) (the DC may have applied it: run kcdctl plan to see)")
        }
        if !report.stale.isEmpty {
            let them = report.stale.count == 1 ? "it" : "them"
            lines.append("  stale:         \(names(report.stale.map(\.change))) (nothing written to \(them))")
        }
        lines.append("  not attempted: \(names(report.notAttempted))")
        lines.append(
            report.stale.isEmpty
                ? "Fix the cause and run apply again: it changes only what is still different."
                : "Make a new plan (kcdctl plan --out) and review it: AD changed since this one.")
        out += lines.joined(separator: "\n") + "\n"
        if !report.hostsToPurge.isEmpty { out += purgeAdvice(report.hostsToPurge) }
        return out
    }

    /// `4 added, 2 removed, userAccountControl 0x1000 -> 0x1001000`.
    static func describe(_ change: HostChange) -> String {
        var parts: [String] = []
        if !change.add.isEmpty { parts.append("\(change.add.count) added") }
        if !change.remove.isEmpty { parts.append("\(change.remove.count) removed") }
        if let uac = change.userAccountControl { parts.append("userAccountControl \(uac.from) -> \(uac.to)") }
        return parts.joined(separator: ", ")
    }

    /// Before the replication wait: how many DCs, for how long, and the values of the directory refused.
    public static func waitingFor(_ dcs: [ReplicaDomainController], limit: Double, rejected: [String]) -> String {
        var out =
            "\nWaiting up to \(seconds(limit)) for replication to \(dcs.count) other domain controller"
            + "\(dcs.count == 1 ? "" : "s") (each polled in turn, every 2 s):\n"
        for value in rejected {
            out +=
                "kcdctl: warning: a server object of the configuration partition is ignored (not one DNS host name): \(value)\n"
        }
        if dcs.isEmpty { out += "  no other domain controller: nothing to wait for.\n" }
        return out
    }

    /// One line per DC after the replication wait; times from the end of the apply.
    public static func replicationWait(_ results: [(ReplicaDomainController, ReplicaState)]) -> String {
        results.map { dc, state in
            let name = "  \(dc.host)" + (dc.site.map { " (site \($0))" } ?? "")
            switch state {
            case .written: return "\(name): converged (the DC written)\n"
            case let .converged(after): return "\(name): converged after \(seconds(after))\n"
            case let .lagging(after, hosts):
                return
                    "\(name): still lagging after \(seconds(after)) (\(hosts.joined(separator: ", ")) not yet applied)\n"
            case let .unreachable(reason):
                return "\(name): unreachable: \(reason.replacingOccurrences(of: "\n", with: " "))\n"
            }
        }.joined()
    }

    /// `3 s`: whole seconds.
    static func seconds(_ value: Double) -> String {
        "\(Int(value.rounded())) s"
    }

    /// Tickets issued before the change still carry the old delegation until they expire or are purged.
    public static func purgeAdvice(_ hosts: [String]) -> String {
        """

        Kerberos tickets cached on these hosts still carry the old delegation: \(hosts.joined(separator: ", ")).
        On each, run as administrator `klist -li 0x3e7 purge` (the SYSTEM logon session), or wait about 15 minutes.

        """
    }
}
