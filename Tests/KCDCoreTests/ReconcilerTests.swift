import Testing

@testable import KCDCore

let workstation: UserAccountControl = .workstationTrustAccount

func computer(
    _ name: String, uac: UserAccountControl = workstation, values: [String] = [],
    spns: [String]? = nil
) -> ObservedComputer {
    ObservedComputer(
        name: name, dn: "CN=\(name),CN=Computers,DC=corp,DC=example,DC=com",
        dnsHostName: "\(name.lowercased()).corp.example.com", userAccountControl: uac, allowedToDelegateTo: values,
        servicePrincipalNames: spns ?? [
            "HOST/\(name)", "HOST/\(name.lowercased()).corp.example.com",
            "\(mvsms)/\(name)", "\(mvsms)/\(name.lowercased()).corp.example.com",
        ])
}

let cifsMapping = SPNMappings(values: ["host=alerter,cifs,http"])

/// Two hosts, cifs only, short names: HV01's one desired value is cifs/HV02.
func pair(mode: DelegationMode = .anyProtocol, prune: Prune = .managed, extra: [SPN] = []) -> Manifest {
    manifest(
        Cluster(
            name: "a", mode: mode, services: ["cifs"], nameForms: [.short], hosts: ["HV01", "HV02"],
            extraTargets: extra, prune: prune))
}

func plan(_ m: Manifest, _ observed: [ObservedComputer]) throws -> Plan {
    try Reconciler.plan(m, domain: "corp.example.com", observed: observed, spnMappings: cifsMapping)
}

func change(_ p: Plan, _ host: String) -> HostChange? {
    p.changes.first { $0.host == host }
}

let rightUAC: UserAccountControl = [.workstationTrustAccount, .trustedToAuthForDelegation]

@Suite struct Diff {
    @Test func fromEmptyAddsEverythingAndSetsProtocolTransition() throws {
        let p = try plan(pair(), [computer("HV01"), computer("HV02")])
        let c = try #require(change(p, "HV01"))
        #expect(c.add.map(\.value) == ["cifs/HV02"])
        #expect(c.remove.isEmpty)
        #expect(c.userAccountControl == .init(from: workstation, to: rightUAC))
        #expect(p.summary.hostsToChange == 2)
    }

    @Test func hostsAlreadyRightAreUnchangedAndGetNoWrite() throws {
        let p = try plan(pair(), [computer("HV01", uac: rightUAC, values: ["cifs/HV02"]), computer("HV02")])
        #expect(change(p, "HV01") == nil)
        #expect(p.unchanged == ["HV01"])
        #expect(p.changes.map(\.host) == ["HV02"])
    }

    @Test func comparisonIgnoresCase() throws {
        let p = try plan(
            pair(),
            [
                computer("HV01", uac: rightUAC, values: ["CIFS/hv02"]),
                computer("HV02", uac: rightUAC, values: ["Cifs/Hv01"]),
            ])
        #expect(p.isEmpty)
    }

    @Test func pruneManagedRemovesUndeclaredValuesOfManagedClassesOnly() throws {
        let p = try plan(
            pair(),
            [
                computer(
                    "HV01", uac: rightUAC, values: ["cifs/HV02", "CIFS/HV05", "http/web01", "MSSQLSvc/db01:1433"]),
                computer("HV02", uac: rightUAC, values: ["cifs/HV01"]),
            ])
        let c = try #require(change(p, "HV01"))
        #expect(c.remove.map(\.value) == ["CIFS/HV05"], "removes the exact stored spelling")
        #expect(c.add.isEmpty && c.userAccountControl == nil)
    }

    @Test func pruneNoneOnlyAdds() throws {
        let p = try plan(
            pair(prune: .none),
            [
                computer("HV01", uac: rightUAC, values: ["cifs/HV02", "cifs/HV05"]),
                computer("HV02", uac: rightUAC),
            ])
        #expect(change(p, "HV01") == nil)
        #expect(change(p, "HV02")?.add.map(\.value) == ["cifs/HV01"])
        #expect(change(p, "HV02")?.remove == [])
    }

    @Test func unconstrainedDelegationIsRemovedAsASecurityFix() throws {
        let had: UserAccountControl = [.workstationTrustAccount, .trustedForDelegation, .dontExpirePassword]
        let p = try plan(
            pair(),
            [computer("HV01", uac: had, values: ["cifs/HV02"]), computer("HV02", uac: rightUAC, values: ["cifs/HV01"])])
        let c = try #require(change(p, "HV01"))
        #expect(
            c.userAccountControl?.to == [.workstationTrustAccount, .dontExpirePassword, .trustedToAuthForDelegation])
        #expect(c.removesUnconstrainedDelegation)
        #expect(p.summary.securityFixes == 1)
    }

    // (Resource-based mode clears both bits: ResourceBasedTests.)
    @Test(arguments: [DelegationMode.anyProtocol, .kerberosOnly])
    func everyOtherBitIsPreserved(mode: DelegationMode) throws {
        let others: UserAccountControl = [
            .workstationTrustAccount, .accountDisable, .dontExpirePassword, .notDelegated, .partialSecretsAccount,
            UserAccountControl(rawValue: 0x2000_0000),
        ]
        let p = try plan(
            pair(mode: mode), [computer("HV01", uac: others.union(.trustedForDelegation)), computer("HV02")])
        let to = try #require(change(p, "HV01")?.userAccountControl?.to)
        #expect(to.subtracting([.trustedToAuthForDelegation]) == others)
        #expect(to.contains(.trustedToAuthForDelegation) == (mode == .anyProtocol))
        #expect(!to.contains(.trustedForDelegation))
    }

    @Test func kerberosOnlyClearsProtocolTransition() throws {
        let p = try plan(
            pair(mode: .kerberosOnly),
            [
                computer("HV01", uac: rightUAC, values: ["cifs/HV02"]),
                computer("HV02", values: ["cifs/HV01"]),
            ])
        #expect(change(p, "HV01")?.userAccountControl == .init(from: rightUAC, to: workstation))
        #expect(change(p, "HV02") == nil)
    }

    @Test func missingHostsAreAllListedAndNothingIsPlanned() {
        let m = manifest(Cluster(name: "a", mode: .anyProtocol, hosts: ["HV01", "HV02", "HV03"]))
        #expect(
            throws: MissingHostsError(hosts: [
                .init(name: "HV02", clusters: ["a"]), .init(name: "HV03", clusters: ["a"]),
            ])
        ) {
            try plan(m, [computer("HV01")])
        }
    }

    @Test func unregisteredTargetIsAWarningAndCifsIsSatisfiedByHOST() throws {
        let m = manifest(
            Cluster(
                name: "a", mode: .anyProtocol, nameForms: [.short], hosts: ["HV01", "HV02"],
                smbStorage: ["SOFS01", "SOFS02"]))
        let p = try plan(m, [computer("HV01"), computer("HV02", spns: ["HOST/HV02"]), computer("SOFS01")])
        #expect(p.warnings.map(\.subject) == ["SOFS02", "\(mvsms)/HV02"])
        #expect(p.warnings[0].message.contains("no computer object"))
        #expect(p.warnings[1].message.contains("not registered on HV02"))
    }

    @Test func withoutTheMappingCifsNeedsItsOwnSPN() throws {
        let p = try Reconciler.plan(
            pair(), domain: "corp.example.com",
            observed: [computer("HV01"), computer("HV02")], spnMappings: SPNMappings())
        #expect(p.warnings.map(\.subject) == ["cifs/HV01", "cifs/HV02"])
    }

    @Test func planIsSortedAndStable() throws {
        let m = manifest(
            Cluster(
                name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["hv03", "HV01", "HV02"])
        )
        let observed = [computer("HV02"), computer("hv03"), computer("HV01")]
        let p = try plan(m, observed)
        #expect(p.changes.map(\.host) == ["HV01", "HV02", "hv03"])
        #expect(try plan(m, observed.reversed()) == p)
    }
}

@Suite struct Model {
    @Test func spnParts() {
        let s = SPN("MSSQLSvc/db01.corp.example.com:1433/inst")
        #expect(s.serviceClass == "MSSQLSvc" && s.host == "db01.corp.example.com")
        #expect(SPN("cifs/HV01").replacingServiceClass(with: "HOST").value == "HOST/HV01")
        #expect(SPN("CIFS/hv01") == SPN("cifs/HV01"))
        #expect(Set([SPN("CIFS/hv01"), SPN("cifs/HV01")]).count == 1)
    }

    @Test func spnMappingsParse() {
        let m = SPNMappings(values: ["host=alerter,appmgmt,cifs,http"])
        #expect(m.aliases["cifs"] == "host")
        #expect(m.isSatisfied(SPN("CIFS/x"), byAnyOf: [SPN("HOST/X")]))
        #expect(!m.isSatisfied(SPN("ldap/x"), byAnyOf: [SPN("HOST/X")]))
        #expect(m.mapped(SPN("cifs/HV02"))?.value == "host/HV02")
        #expect(m.mapped(SPN("ldap/HV02")) == nil)
    }

    @Test(arguments: [("4096", 0x1000 as UInt32), ("16781312", 0x1001000), ("-2147479552", 0x8000_1000)])
    func userAccountControlLDAPForm(text: String, raw: UInt32) throws {
        let uac = try #require(UserAccountControl(ldapValue: text))
        #expect(uac.rawValue == raw)
        #expect(uac.ldapValue == text)
    }

    @Test func flagNames() {
        let uac: UserAccountControl = [
            .workstationTrustAccount, .trustedToAuthForDelegation, UserAccountControl(rawValue: 0x4000_0000),
        ]
        #expect(uac.flagNames == ["WORKSTATION_TRUST_ACCOUNT", "TRUSTED_TO_AUTH_FOR_DELEGATION", "0x40000000"])
        #expect(UserAccountControl(ldapValue: "x") == nil)
    }
}
