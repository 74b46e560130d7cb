import Foundation
import KCDCore
import KCDLDAP

/// `apply --wait-replication`: the I/O of the wait (ReplicationWait decides). The other DCs are polled one
/// after the other (fine for a handful of DCs; a DC's time counts from the end of the apply, so a later DC's
/// includes the wait for the earlier ones). The writes are done: SIGINT/SIGTERM end the wait at once.
enum ReplicationWaiter {
    static let pollInterval: Double = 2

    static func wait(
        for changes: [HostChange], session: Session, limit: Double
    ) throws -> [(ReplicaDomainController, ReplicaState)] {
        let start = Date()
        let (writtenDC, dcs, rejected) = try session.domainControllers()
        Terminal.out(ApplyText.waitingFor(dcs, limit: limit, rejected: rejected))
        Terminal.out(ApplyText.replicationWait([(writtenDC, .written)]))
        var results: [(ReplicaDomainController, ReplicaState)] = [(writtenDC, .written)]
        for dc in dcs {
            let state = poll(dc, changes: changes, session: session, start: start, limit: limit)
            results.append((dc, state))
            Terminal.out(ApplyText.replicationWait([(dc, state)]))
        }
        return results
    }

    static func poll(
        _ dc: ReplicaDomainController, changes: [HostChange], session: Session, start: Date, limit: Double
    ) -> ReplicaState {
        let names = changes.map(\.host)
        do {
            let directory = try session.directory(on: dc)
            while true {
                let pending = ReplicationWait.pending(changes, observed: try directory.computers(named: names))
                let elapsed = Date().timeIntervalSince(start)
                if let verdict = ReplicationWait.verdict(pending: pending, elapsed: elapsed, limit: limit) {
                    return verdict
                }
                Thread.sleep(forTimeInterval: min(pollInterval, max(0.1, limit - elapsed)))
            }
        } catch {
            return .unreachable(Session.describe(error))
        }
    }
}
