import Testing

@testable import KCDCore

/// The import review found that the FQDN form took `dNSHostName` from the directory unchecked: whoever may
/// write HV02's `dNSHostName` (its own account, on a DC that does not validate it) could make kcdctl declare,
/// plan and apply delegation to another computer's SPNs, e.g. a domain controller's `cifs/dc01.…`.
@Suite struct DNSHostNameFromTheDirectory {
    func fqdnPair() -> Manifest {
        manifest(
            Cluster(
                name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.fqdn], hosts: ["HV01", "HV02"],
                prune: .managed))
    }

    @Test func anotherComputersNameIsNeverDelegatedTo() throws {
        var hv02 = computer("HV02")
        hv02.dnsHostName = "dc01.corp.example.com"
        let p = try plan(fqdnPair(), [computer("HV01"), hv02, computer("DC01", uac: [.serverTrustAccount])])
        let added = p.changes.flatMap(\.add).map(\.value)
        #expect(!added.contains { $0.lowercased().contains("dc01") }, "\(added)")
        #expect(change(p, "HV01")?.add.map(\.value) == ["cifs/HV02.corp.example.com"])
        let warning = p.warnings.first { $0.subject == "HV02" }
        #expect(warning?.message.hasPrefix("dNSHostName 'dc01.corp.example.com' is not HV02's own DNS name") == true)
    }

    @Test func theWriteInvariantAgreesWithThePlan() throws {
        var hv02 = computer("HV02")
        hv02.dnsHostName = "dc01.corp.example.com"
        let observed = [computer("HV01"), hv02]
        var p = try plan(fqdnPair(), observed)
        try WriteInvariant(manifest: fqdnPair(), domain: "corp.example.com", observed: observed).check(p)
        p.changes[0].add.append(SPN("cifs/dc01.corp.example.com"))
        #expect(throws: InvariantViolation.self) {
            try WriteInvariant(manifest: fqdnPair(), domain: "corp.example.com", observed: observed).check(p)
        }
    }

    @Test(arguments: [
        ("hv02.corp.example.com", true), ("HV02.Branch.Example.Com", true), ("hv02.corp-2.example", true),
        ("dc01.corp.example.com", false), ("hv02", false), ("hv02.", false), ("hv02..corp", false),
        ("hv02.corp.example.com/x", false), ("hv02.-corp.example", false), ("hv02 .corp", false),
        ("h\u{212A}02.corp", false), ("hv02.corp\u{0}.example", false),
        ("hv02." + String(repeating: "a", count: 64) + ".example", false),
    ])
    func ownDNSNames(dns: String, own: Bool) {
        #expect(ComputerName("HV02").isOwnDNSName(dns) == own, "\(dns)")
    }
}
