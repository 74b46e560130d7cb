import Testing

@testable import KCDCore

/// directory.valueLimit: a plan that would make a host hold more values (msDS-AllowedToDelegateTo and
/// servicePrincipalName together) than the limit is refused before any write, naming the host; validate warns
/// about a cluster that can exceed it.
@Suite struct ValueBudgetTests {
    /// Three hosts, two services, short names: 4 delegation values each; `computer()` registers 4 SPNs.
    func manifest(limit: Int, hosts: [String] = ["HV01", "HV02", "HV03"]) -> Manifest {
        var m = KCDCoreTests.manifest(Cluster(name: "c", mode: .anyProtocol, nameForms: [.short], hosts: hosts))
        m.directory.valueLimit = limit
        return m
    }

    func plan(_ m: Manifest, _ computers: [ObservedComputer]) throws -> Plan {
        try Reconciler.plan(m, domain: "corp.example.com", observed: computers, spnMappings: SPNMappings())
    }

    let hosts = ["HV01", "HV02", "HV03"].map { computer($0, uac: workstation.union(.trustedToAuthForDelegation)) }

    @Test func atTheLimitIsAcceptedOneOverIsRefusedNamingEachHost() throws {
        #expect(try plan(manifest(limit: 8), hosts).changes.count == 3)
        #expect {
            try plan(manifest(limit: 7), hosts)
        } throws: { error in
            guard let e = error as? ValueBudgetExceeded else { return false }
            return e.limit == 7 && e.excesses.map(\.host) == ["HV01", "HV02", "HV03"]
                && e.excesses.allSatisfy { $0.delegationValues == 4 && $0.servicePrincipalNames == 4 }
                && e.description.contains("HV01 would hold 8 (4 in msDS-AllowedToDelegateTo, 4 SPNs)")
                && e.description.contains("split the migration group") && e.description.hasSuffix("nothing was changed")
        }
    }

    /// Values of other service classes the host keeps count too; a change that only removes is never refused.
    @Test func keptValuesCountAndRemovalsAreNeverRefused() throws {
        var mixed = hosts
        mixed[0].allowedToDelegateTo = ["http/web01", "http/web02"]
        #expect(throws: ValueBudgetExceeded.self) { try plan(manifest(limit: 9), mixed) }
        #expect(try plan(manifest(limit: 10), mixed).changes.count == 3)

        var full = hosts
        full[0].allowedToDelegateTo = (0..<20).map { "cifs/OLD\($0)" }
        let shrinking = try plan(manifest(limit: 5, hosts: ["HV01"]), [full[0]])
        #expect(shrinking.changes.first?.remove.count == 20)
    }

    @Test func validateWarnsAboutAClusterThatCanExceedIt() {
        // 3 hosts: 4 values each + 30 typical SPNs = 34.
        #expect(ValueBudget.warnings(manifest(limit: 34)).isEmpty)
        let warnings = ValueBudget.warnings(manifest(limit: 33))
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("cluster 'c' (line 0): a host declares 4 delegation values") == true)
        // The default: 1,200. A group of 300 hosts in two services and two forms needs 1,196 values per host.
        let big = KCDCoreTests.manifest(
            Cluster(name: "big", mode: .anyProtocol, hosts: (1...300).map { "HV\($0)" }))
        #expect(big.directory.valueLimit == 1200 && ValueBudget.warnings(big).count == 1)
    }
}
