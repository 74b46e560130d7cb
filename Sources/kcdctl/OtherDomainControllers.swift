import Foundation
import KCDCore
import KCDLDAP

/// The domain's other DCs, as the configuration partition lists them, reached with this session's credentials
/// (`apply --wait-replication`, `drift --all-dcs`, `doctor`). One DC after the other, each within `--timeout`.
extension Session {
    /// The DC this session is bound to, the others (at most `ReplicationWait.maximumDomainControllers`), and the
    /// server objects refused (quoted, for a warning).
    func domainControllers() throws -> (
        this: ReplicaDomainController, others: [ReplicaDomainController], rejected: [String]
    ) {
        let (servers, own) = try connection.replicaServers()
        let (this, others, rejected) = ReplicationWait.domainControllers(
            servers, writtenHost: domainController.host, writtenServer: own)
        return (this ?? ReplicaDomainController(host: domainController.host, site: nil), others, rejected)
    }

    /// Another DC, bound: the same transport rules as a DC found by DNS (LDAPS on 636 for a simple bind, else
    /// the LDAP port) and the same credentials.
    func directory(on dc: ReplicaDomainController) throws -> ActiveDirectory {
        let uri = DomainControllerDiscovery.uri(for: SRVTarget(host: dc.host, port: 389), settings)
        return ActiveDirectory(connection: try connect(uri), baseDN: baseDN)
    }

    /// `reference` (this session's read), then every other DC's read of the manifest's accounts; a DC that
    /// cannot be reached, bound or read is named with why.
    func readEveryDomainController(_ reference: Reconciliation.Snapshot) throws -> [DomainControllerReading] {
        let (this, others, rejected) = try domainControllers()
        for value in rejected { Terminal.warn("not a usable DC in the configuration partition: \(value)") }
        var readings = [DomainControllerReading(this, snapshot: reference)]
        for dc in others {
            do {
                let directory = try directory(on: dc)
                let snapshot = try Reconciliation(manifest: manifest, domain: domain, directory: directory).read()
                readings.append(DomainControllerReading(dc, snapshot: snapshot))
            } catch {
                readings.append(DomainControllerReading(dc, failure: Session.describe(error)))
            }
        }
        return readings
    }

    /// An error of another DC, in one line.
    static func describe(_ error: any Error) -> String {
        (error as? LDAPError)?.summary ?? String(describing: error)
    }
}
