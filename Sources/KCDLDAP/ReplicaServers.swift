// The domain's DCs as the directory lists them, for `apply --wait-replication`: the nTDSDSA objects of the
// configuration partition and their server objects. Every value read is checked in KCDCore (ReplicationWait).
import KCDCore

extension LDAPConnection {
    /// The server objects of the DCs (their DN and `dNSHostName`), found under the rootDSE's
    /// `configurationNamingContext`, and the server object of the DC this connection is to (from its rootDSE's
    /// `dsServiceName`).
    public func replicaServers() throws -> (servers: [(dn: String, dnsHostName: [String])], own: String?) {
        let root = try search(
            base: "", scope: .base, filter: "(objectClass=*)",
            attributes: ["configurationNamingContext", "dsServiceName"]
        ).first
        guard let configuration = root?["configurationNamingContext"].first,
            RootDSE.namingContextProblem(configuration) == nil
        else {
            throw ReplicaListingError("the rootDSE names no usable configurationNamingContext")
        }
        let own = root?["dsServiceName"].first.flatMap(ReplicationWait.serverDN(ofDSA:))
        let dsas = try search(
            base: configuration, scope: .subtree, filter: "(objectClass=nTDSDSA)", attributes: ["1.1"], pageSize: 500)
        var servers: [(dn: String, dnsHostName: [String])] = []
        for dsa in dsas.prefix(ReplicationWait.maximumDomainControllers * 2) {
            guard let server = ReplicationWait.serverDN(ofDSA: dsa.dn) else {
                servers.append((dsa.dn, []))
                continue
            }
            let entry = try search(
                base: server, scope: .base, filter: "(objectClass=*)", attributes: ["dNSHostName"]
            ).first
            servers.append((server, entry?["dNSHostName"] ?? []))
        }
        return (servers, own)
    }
}

/// The DCs could not be listed from the configuration partition.
public struct ReplicaListingError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
