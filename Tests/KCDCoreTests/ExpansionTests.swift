import Testing

@testable import KCDCore

let mvsms = "Microsoft Virtual System Migration Service"

func directory() -> DirectorySettings {
    DirectorySettings(baseDN: "DC=corp,DC=example,DC=com", auth: .init(bindDN: "svc@corp.example.com"))
}

func manifest(_ clusters: Cluster...) -> Manifest {
    Manifest(directory: directory(), clusters: clusters)
}

func targets(_ state: DesiredState, _ host: String) -> [String] {
    state.hosts.first { $0.name == host }!.targets.map(\.value)
}

@Suite struct Expansion {
    @Test func everyOtherHostEveryServiceBothForms() {
        let d = DesiredState.expand(
            manifest(Cluster(name: "a", mode: .anyProtocol, hosts: ["HV01", "HV02", "HV03"])),
            domain: "corp.example.com")
        #expect(
            targets(d, "HV01") == [
                "cifs/HV02", "cifs/HV02.corp.example.com", "cifs/HV03", "cifs/HV03.corp.example.com",
                "\(mvsms)/HV02", "\(mvsms)/HV02.corp.example.com", "\(mvsms)/HV03", "\(mvsms)/HV03.corp.example.com",
            ])
        #expect(d.hosts.map { $0.targets.count } == [8, 8, 8])
    }

    @Test func noHostDelegatesToItself() {
        let d = DesiredState.expand(
            manifest(Cluster(name: "a", mode: .anyProtocol, hosts: ["HV01", "HV02"], smbStorage: ["hv01"])),
            domain: "corp.example.com")
        for host in d.hosts {
            #expect(
                !host.targets.contains { $0.host.lowercased().hasPrefix(host.name.lowercased()) },
                "\(host.name): \(host.targets)")
        }
        #expect(d.hosts[1].targets.contains(SPN("cifs/hv01")))
    }

    @Test func fqdnComesFromDNSHostNameWhenKnown() {
        let d = DesiredState.expand(
            manifest(
                Cluster(name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.fqdn], hosts: ["HV01", "HV02"])),
            domain: "corp.example.com"
        ) { $0 == "HV02" ? "hv02.site2.corp.example.com" : nil }
        #expect(targets(d, "HV01") == ["cifs/hv02.site2.corp.example.com"])
        #expect(targets(d, "HV02") == ["cifs/HV01.corp.example.com"])
    }

    @Test func shortFormOnly() {
        let d = DesiredState.expand(
            manifest(Cluster(name: "a", mode: .anyProtocol, nameForms: [.short], hosts: ["HV01", "HV02"])),
            domain: "corp.example.com")
        #expect(targets(d, "HV01") == ["cifs/HV02", "\(mvsms)/HV02"])
    }

    @Test func storageAndExtraTargets() {
        let d = DesiredState.expand(
            manifest(
                Cluster(
                    name: "a", mode: .anyProtocol, services: [mvsms], nameForms: [.short], hosts: ["HV01", "HV02"],
                    smbStorage: ["SOFS01"], extraTargets: [SPN("http/other.corp.example.com")])),
            domain: "corp.example.com")
        #expect(
            targets(d, "HV01") == [
                "cifs/SOFS01", "cifs/SOFS01.corp.example.com", "http/other.corp.example.com", "\(mvsms)/HV02",
            ])
        #expect(d.targetOwners[SPN("cifs/sofs01")] == "SOFS01")
        #expect(d.targetOwners[SPN("http/other.corp.example.com")] == nil)
    }

    @Test func aHostInTwoClustersGetsTheUnion() {
        let d = DesiredState.expand(
            manifest(
                Cluster(
                    name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["HV01", "HV02"]),
                Cluster(
                    name: "b", mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["hv02", "HV03"])),
            domain: "corp.example.com")
        #expect(d.hosts.map(\.name) == ["HV01", "HV02", "HV03"])
        #expect(targets(d, "HV02") == ["cifs/HV01", "cifs/HV03"])
        #expect(d.hosts[1].clusters == ["a", "b"])
        #expect(targets(d, "HV01") == ["cifs/HV02"])
    }

    @Test func valuesThatDifferOnlyInCaseAreOne() {
        let d = DesiredState.expand(
            manifest(
                Cluster(
                    name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["HV01", "HV02"],
                    extraTargets: [SPN("CIFS/hv02")])), domain: "corp.example.com")
        #expect(targets(d, "HV01") == ["cifs/HV02"])
    }

    @Test func managedClassesIncludeCifsForStorage() {
        let c = Cluster(name: "a", mode: .anyProtocol, services: [mvsms], hosts: ["HV01"], smbStorage: ["S"])
        #expect(c.managedServiceClasses == [mvsms.lowercased(), "cifs"])
        var none = c
        none.prune = .none
        #expect(none.managedServiceClasses.isEmpty)
    }
}

@Suite struct TargetLists {
    @Test func ownEntriesAreLeftOutWhereverTheySort() {
        let spns = ["a/1", "b/2", "c/3", "d/4", "e/5", "f/6"].map(SPN.init)
        let list = TargetList(entries: spns, owners: [0, 1, 0, 2, 1, 0], excluded: 1)
        #expect(list.map(\.value) == ["a/1", "c/3", "d/4", "f/6"])
        #expect(list.count == 4 && list[3].value == "f/6")
        #expect(list.equalsExactly(["a/1", "c/3", "d/4", "f/6"]))
        #expect(!list.equalsExactly(["c/3", "a/1", "d/4", "f/6"]), "another order is left to the general diff")
        #expect(!list.equalsExactly(["a/1", "c/3", "d/4"]))
    }

    @Test func valuesInAnotherOrderAreStillNoChange() throws {
        let p = try plan(
            pair(),
            [
                computer("HV01", uac: rightUAC, values: ["cifs/HV02"]),
                computer("HV02", uac: rightUAC, values: ["cifs/HV01"]),
            ])
        #expect(p.isEmpty)
        let three = manifest(
            Cluster(
                name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["HV01", "HV02", "HV03"])
        )
        let q = try plan(
            three,
            [
                computer("HV01", uac: rightUAC, values: ["cifs/HV03", "CIFS/hv02"]),
                computer("HV02", uac: rightUAC, values: ["cifs/HV01", "cifs/HV03"]),
                computer("HV03", uac: rightUAC, values: ["cifs/HV02", "cifs/HV01"]),
            ])
        #expect(q.isEmpty)
    }
}
