import Foundation
import Testing

@testable import KCDCore

/// `apply --wait-replication`: the DCs read from the configuration partition (hostile values), a DC's verdict,
/// the exit status and the text.
@Suite struct ReplicationWaitTests {
    let sites = "CN=Sites,CN=Configuration,DC=corp,DC=example,DC=com"

    @Test func theServerIsTheDSAsParentAndTheSiteTwoLevelsAbove() {
        let dsa = "CN=NTDS Settings,CN=DC2,CN=Servers,CN=Branch,\(sites)"
        #expect(ReplicationWait.serverDN(ofDSA: dsa) == "CN=DC2,CN=Servers,CN=Branch,\(sites)")
        #expect(ReplicationWait.site(ofServer: "CN=DC2,CN=Servers,CN=Branch,\(sites)") == "Branch")
        #expect(
            ReplicationWait.site(ofServer: "CN=DC2, CN=Servers, CN=Default-First-Site-Name,\(sites)")
                == "Default-First-Site-Name")
        // An escaped comma in the server's name does not shift the levels.
        #expect(ReplicationWait.site(ofServer: "CN=DC\\,2,CN=Servers,CN=Branch,\(sites)") == "Branch")
        // Not shaped as a server object, a control character, an escape in the site: no site.
        #expect(ReplicationWait.site(ofServer: "CN=DC2,CN=Computers,CN=Branch,\(sites)") == nil)
        #expect(ReplicationWait.site(ofServer: "CN=DC2,CN=Servers,CN=Bra\u{1B}[2Jnch,\(sites)") == nil)
        #expect(ReplicationWait.site(ofServer: "CN=DC2,CN=Servers,CN=Br\\,anch,\(sites)") == nil)
        #expect(ReplicationWait.serverDN(ofDSA: "CN=NTDS Settings") == nil)
        #expect(ReplicationWait.serverDN(ofDSA: "") == nil)
        #expect(ReplicationWait.serverDN(ofDSA: "not a dn,at all") == nil)
    }

    @Test func onlyValidDNSNamesOnceAndTheDCWrittenApart() {
        let server = { (name: String, site: String) in "CN=\(name),CN=Servers,CN=\(site),\(sites)" }
        let (written, dcs, rejected) = ReplicationWait.domainControllers(
            [
                (server("DC1", "HQ"), ["dc1.corp.example.com"]),
                (server("DC2", "Branch"), ["dc2.corp.example.com"]),
                (server("DC2b", "Branch"), ["DC2.corp.example.com"]),
                (server("EVIL", "HQ"), ["evil.example.com\n\u{1B}[2J"]),
                (server("TWO", "HQ"), ["a.example.com", "b.example.com"]),
                (server("NONE", "HQ"), []),
            ], writtenHost: "DC1.corp.example.com", writtenServer: nil)
        #expect(written == ReplicaDomainController(host: "dc1.corp.example.com", site: "HQ"))
        #expect(dcs == [ReplicaDomainController(host: "dc2.corp.example.com", site: "Branch")])
        #expect(rejected.count == 3)
        #expect(rejected.allSatisfy { !Printable.hasControlCharacter($0) }, "\(rejected)")

        // Written through a URI with an address: the DC written is known by its server object.
        let byServer = ReplicationWait.domainControllers(
            [(server("DC1", "HQ"), ["dc1.corp.example.com"]), (server("DC2", "Branch"), ["dc2.corp.example.com"])],
            writtenHost: "127.0.0.2", writtenServer: server("dc1", "hq"))
        #expect(byServer.written?.host == "dc1.corp.example.com")
        #expect(byServer.others.map(\.host) == ["dc2.corp.example.com"])
    }

    @Test func aDCConvergesWhenEveryChangedHostIsAppliedThere() {
        let spn = SPN("Microsoft Virtual System Migration Service/HV02")
        let change = HostChange(
            host: "HV01", dn: "CN=HV01,CN=Computers,DC=corp", mode: .anyProtocol, add: [spn], remove: [],
            userAccountControl: nil)
        let other = HostChange(
            host: "HV02", dn: "CN=HV02,CN=Computers,DC=corp", mode: .anyProtocol, add: [spn], remove: [],
            userAccountControl: nil)
        let before = ObservedComputer(name: "HV01", dn: change.dn, userAccountControl: [])
        let after = ObservedComputer(
            name: "hv01", dn: change.dn, userAccountControl: [], allowedToDelegateTo: [spn.value])
        #expect(ReplicationWait.pending([change], observed: [before]) == ["HV01"])
        #expect(ReplicationWait.pending([change], observed: [after]).isEmpty)
        // A host absent on that DC (not yet replicated) is not applied there.
        #expect(ReplicationWait.pending([change, other], observed: [after]) == ["HV02"])

        #expect(ReplicationWait.verdict(pending: [], elapsed: 3, limit: 20) == .converged(after: 3))
        #expect(ReplicationWait.verdict(pending: ["HV02"], elapsed: 3, limit: 20) == nil)
        #expect(
            ReplicationWait.verdict(pending: ["HV02"], elapsed: 20.4, limit: 20)
                == .lagging(after: 20.4, hosts: ["HV02"]))
    }

    @Test func aLaggingDCFailsTheRunAnUnreachableOneIsOnlyNamed() {
        let dc2 = ReplicaDomainController(host: "dc2.corp.example.com", site: "Branch")
        let dc3 = ReplicaDomainController(host: "dc3.corp.example.com", site: nil)
        #expect(ReplicationWait.status([]) == .success)
        #expect(
            ReplicationWait.status([(dc2, .written), (dc2, .converged(after: 3)), (dc3, .unreachable("timed out"))])
                == .success)
        #expect(
            ReplicationWait.status([(dc2, .lagging(after: 20, hosts: ["HV07"])), (dc3, .converged(after: 1))])
                == .replicationLagging)
        #expect(ExitStatus.replicationLagging.rawValue == 4)

        let text = ApplyText.replicationWait([
            (dc3, .written), (dc2, .converged(after: 3.2)), (dc3, .lagging(after: 20.4, hosts: ["HV07", "HV08"])),
            (dc2, .unreachable("can't contact\nLDAP server")),
        ])
        #expect(
            text == """
                  dc3.corp.example.com: converged (the DC written)
                  dc2.corp.example.com (site Branch): converged after 3 s
                  dc3.corp.example.com: still lagging after 20 s (HV07, HV08 not yet applied)
                  dc2.corp.example.com (site Branch): unreachable: can't contact LDAP server

                """)
    }
}
