/// The exit statuses of every command: the one table that `kcdctl --help` and docs/operations.md show.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// No changes, in sync, applied and converged; doctor: no findings or information only; verify: the KDC
    /// grants exactly what the manifest declares.
    case success = 0
    /// An error or invalid input (usage errors included); doctor: an error finding; apply: a host whose outcome
    /// is unknown is named.
    case failure = 1
    /// Changes pending (plan --detailed-exitcode), drift (drift), warnings (doctor), a KDC that does not grant
    /// what the manifest declares (verify).
    case differs = 2
    /// apply: a host changed since the plan; verify: inconclusive.
    case stale = 3
    /// apply --wait-replication: applied on the DC written, but a reachable DC did not show it in time;
    /// drift --all-dcs: no drift, but the DCs disagree about a host.
    case replicationLagging = 4
    /// apply stopped by SIGINT after finishing the host in flight (128 + SIGINT).
    case interrupted = 130
    /// The reader of stdout went away (128 + SIGPIPE).
    case outputClosed = 141
    /// apply stopped by SIGTERM after finishing the host in flight (128 + SIGTERM).
    case terminated = 143

    /// The meaning, as the table shows it.
    public var meaning: String {
        switch self {
        case .success:
            "success: no changes / in sync / applied and converged; doctor: no findings, or information only; verify: the KDC grants exactly what the manifest declares"
        case .failure:
            "error or invalid input, a usage error included (one line on stderr; validate: one line per problem); doctor: an error finding; apply: a host whose outcome is unknown is named"
        case .differs:
            "changes pending (plan --detailed-exitcode), drift (drift), warnings (doctor), a KDC that does not grant what the manifest declares (verify)"
        case .stale:
            "apply: a host changed since the plan (make a new plan); verify: inconclusive (the KDC cannot judge the SPN that must be refused)"
        case .replicationLagging:
            "apply --wait-replication: applied and converged on the DC written, but a reachable DC still lagged when the wait ended (the DCs are named); drift --all-dcs: no drift, but the DCs disagree about a host (replication lagging or broken)"
        case .interrupted: "apply stopped by SIGINT after finishing the host in flight"
        case .outputClosed: "the reader of stdout went away (kcdctl plan | head), as SIGPIPE would"
        case .terminated: "apply stopped by SIGTERM after finishing the host in flight"
        }
    }

    /// The status after a signal stopped the run: 128 + its number (SIGINT 2, SIGPIPE 13, SIGTERM 15).
    public init?(signal: Int32) { self.init(rawValue: 128 + signal) }

    /// The table as `--help` shows it, one status per line.
    public static var helpTable: String {
        "Exit statuses:\n" + allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}
