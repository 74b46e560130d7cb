import Foundation
import Testing

@testable import KCDCore

/// `drift --all-dcs` and doctor: every DC compared with the manifest and with each other; hosts the DCs disagree
/// about apart from drift; unreachable DCs named; the text and the per-DC metrics.
@Suite struct DomainControllerComparisonTests {
    let dc1 = ReplicaDomainController(host: "dc1.corp.example.com", site: "HQ")
    let dc2 = ReplicaDomainController(host: "dc2.corp.example.com", site: "Branch")
    let dc3 = ReplicaDomainController(host: "dc3.corp.example.com", site: nil)
    let cluster = manifest(Cluster(name: "a", mode: .anyProtocol, hosts: ["HV01", "HV02"]))
    let anyProtocol = workstation.union(.trustedToAuthForDelegation)

    func values(to peer: String) -> [String] {
        ["cifs/\(peer)", "cifs/\(peer).corp.example.com", "\(mvsms)/\(peer)", "\(mvsms)/\(peer).corp.example.com"]
    }

    /// HV01 and HV02 as the manifest declares them.
    var inSync: [ObservedComputer] {
        [
            computer("HV01", uac: anyProtocol, values: values(to: "HV02")),
            computer("HV02", uac: anyProtocol, values: values(to: "HV01")),
        ]
    }

    func read(_ dc: ReplicaDomainController, _ computers: [ObservedComputer]) -> DomainControllerReading {
        DomainControllerReading(dc, snapshot: .init(computers: computers, spnMappings: SPNMappings()))
    }

    func compare(_ readings: DomainControllerReading...) throws -> DomainControllerComparison {
        try DomainControllerComparison.compare(readings, manifest: cluster, domain: "corp.example.com")
    }

    @Test func dcsThatAgreeAndMatchAreInSync() throws {
        let c = try compare(read(dc1, inSync), read(dc2, inSync))
        #expect(c.disagreements.isEmpty)
        #expect(c.drift.isEmpty && c.drift.unchanged == ["HV01", "HV02"])
        #expect(c.status == .success)
        #expect(c.domainControllers.map(\.domainController) == [dc1, dc2])
    }

    /// The whole domain differs from the manifest: drift (exit 2), not a disagreement.
    @Test func dcsThatAgreeOnADifferenceAreDrift() throws {
        var drifted = inSync
        drifted[0].allowedToDelegateTo.removeLast()
        let c = try compare(read(dc1, drifted), read(dc2, drifted))
        #expect(c.disagreements.isEmpty)
        #expect(c.drift.changes.map(\.host) == ["HV01"])
        #expect(c.status == .differs)
    }

    /// dc2 has not (yet) received HV01's last two values: HV01 is a disagreement (dc1 matches, dc2 lacks them),
    /// not drift, and the status is 4.
    @Test func aLaggingDCIsADisagreementNotDrift() throws {
        var lagging = inSync
        lagging[0].allowedToDelegateTo.removeLast(2)
        let c = try compare(read(dc1, inSync), read(dc2, lagging))
        #expect(c.drift.isEmpty)
        #expect(c.drift.unchanged == ["HV02"])
        #expect(c.status == .replicationLagging)
        let d = try #require(c.disagreements.first)
        #expect(c.disagreements.count == 1 && d.host == "HV01")
        #expect(d.states.map(\.domainController) == [dc1, dc2])
        #expect(d.states.map(\.matchesManifest) == [true, false])
        #expect(d.states[0].lacks.isEmpty)
        #expect(d.states[1].lacks == Array(values(to: "HV02").suffix(2)).sorted())
        #expect(c.domainControllers[1].plan?.changes.map(\.host) == ["HV01"])

        let text = DomainControllerText.render(c)
        #expect(text.contains("  dc1.corp.example.com (site HQ): 2 hosts match\n"), "\(text)")
        #expect(
            text.contains("  dc2.corp.example.com (site Branch): 1 host differs from the manifest; 1 host matches\n"))
        #expect(text.contains("DOMAIN CONTROLLERS DISAGREE about 1 host"))
        #expect(text.contains("    dc1.corp.example.com (site HQ): matches the manifest\n"))
        #expect(
            text.contains(
                "    dc2.corp.example.com (site Branch): differs from the manifest; lacks \(mvsms)/HV02, \(mvsms)/HV02.corp.example.com\n"
            ), "\(text)")
        #expect(!text.contains("delegation flags"))
    }

    /// Drift on every DC and a disagreement at once: drift decides the status (it is what apply fixes).
    @Test func driftComesBeforeADisagreement() throws {
        var both = inSync
        both[1].allowedToDelegateTo = []
        var lagging = both
        lagging[0].allowedToDelegateTo.removeLast()
        let c = try compare(read(dc1, both), read(dc2, lagging))
        #expect(c.drift.changes.map(\.host) == ["HV02"])
        #expect(c.disagreements.map(\.host) == ["HV01"])
        #expect(c.status == .differs)
    }

    /// A host created on one DC that another does not hold yet: a disagreement ("no computer object"), and the
    /// DC names it missing; only a host no DC holds is the reconciler's missing-host error.
    @Test func aHostMissingOnSomeDCsIsADisagreementOnAllAnError() throws {
        let c = try compare(read(dc1, [inSync[0]]), read(dc2, inSync))
        #expect(c.missingEverywhere == nil)
        #expect(c.domainControllers[0].missing == ["HV02"])
        let d = try #require(c.disagreements.first { $0.host == "HV02" })
        #expect(d.states.map(\.exists) == [false, true])
        #expect(DomainControllerText.render(c).contains("    dc1.corp.example.com (site HQ): no computer object\n"))
        #expect(DomainControllerText.render(c).contains("no computer object for HV02"))

        let none = try compare(read(dc1, [inSync[0]]), read(dc2, [inSync[0]]))
        #expect(none.missingEverywhere?.hosts.map(\.name) == ["HV02"])
    }

    /// An unreachable DC is named with why; it neither disagrees nor fails the comparison.
    @Test func anUnreachableDCIsNamedAndNotCompared() throws {
        let c = try compare(read(dc1, inSync), DomainControllerReading(dc3, failure: "Can't contact LDAP server (-1)"))
        #expect(c.disagreements.isEmpty && c.status == .success)
        #expect(c.domainControllers[1].plan == nil)
        #expect(
            DomainControllerText.render(c).contains(
                "  dc3.corp.example.com: unreachable: Can't contact LDAP server (-1)\n"))
        #expect(throws: ComparisonError.self) {
            try compare(DomainControllerReading(dc1, failure: "down"), read(dc2, inSync))
        }
    }

    /// The protocol-transition bit lost on one DC: the flags are shown for each DC.
    @Test func delegationFlagsAreShownWhenTheyDiffer() throws {
        var kerberosOnly = inSync
        kerberosOnly[1].userAccountControl = workstation
        let c = try compare(read(dc1, inSync), read(dc2, kerberosOnly))
        let text = DomainControllerText.render(c)
        #expect(
            text.contains(
                "    dc1.corp.example.com (site HQ): matches the manifest; delegation flags: TRUSTED_TO_AUTH_FOR_DELEGATION\n"
            ), "\(text)")
        #expect(
            text.contains("    dc2.corp.example.com (site Branch): differs from the manifest; delegation flags: none\n")
        )
    }

    /// Only the delegation values and bits count: a DC that differs in an unrelated bit or in uSNChanged agrees.
    @Test func otherAttributesDoNotMakeADisagreement() throws {
        var other = inSync
        other[0].userAccountControl.insert(.dontExpirePassword)
        other[0].usnChanged = "99999"
        other[1].allowedToDelegateTo.reverse()
        let c = try compare(read(dc1, inSync), read(dc2, other))
        #expect(c.disagreements.isEmpty)
    }

    /// Names from the directory cannot paint the terminal.
    @Test func hostileNamesAreEscaped() throws {
        var hostile = inSync
        hostile[0].allowedToDelegateTo.append("cifs/x\u{1B}[2J")
        let c = try compare(read(dc1, inSync), read(ReplicaDomainController(host: "dc2", site: "B\u{1B}[31m"), hostile))
        #expect(!Printable.hasControlCharacter(DomainControllerText.render(c).replacingOccurrences(of: "\n", with: "")))
    }

    /// A series per DC: success, hosts differing (missing ones included) and in sync; an unreachable DC has
    /// success 0 and no counts; the number of hosts the DCs disagree about.
    @Test func metricsHaveASeriesPerDC() throws {
        var lagging = inSync
        lagging[0].allowedToDelegateTo.removeLast()
        let c = try compare(
            read(dc1, inSync), read(dc2, lagging), DomainControllerReading(dc3, failure: "timed out"))
        let text = DriftMetrics.render(
            .init(plan: c.drift, finished: 1, duration: 0.5, manifest: "/etc/kcdctl/kcdctl.yaml", domainControllers: c))
        let m = "manifest=\"/etc/kcdctl/kcdctl.yaml\""
        for line in [
            "kcdctl_drift_disagreeing_hosts{\(m)} 1",
            "kcdctl_drift_dc_success{\(m),dc=\"dc1.corp.example.com\",site=\"HQ\"} 1",
            "kcdctl_drift_dc_success{\(m),dc=\"dc2.corp.example.com\",site=\"Branch\"} 1",
            "kcdctl_drift_dc_success{\(m),dc=\"dc3.corp.example.com\",site=\"\"} 0",
            "kcdctl_drift_dc_hosts{\(m),dc=\"dc1.corp.example.com\",site=\"HQ\"} 0",
            "kcdctl_drift_dc_hosts{\(m),dc=\"dc2.corp.example.com\",site=\"Branch\"} 1",
            "kcdctl_drift_dc_hosts_in_sync{\(m),dc=\"dc2.corp.example.com\",site=\"Branch\"} 1",
            "kcdctl_drift_hosts{\(m)} 0",
        ] {
            #expect(text.contains("\n\(line)\n"), "missing \(line) in\n\(text)")
        }
        #expect(!text.contains("kcdctl_drift_dc_hosts{\(m),dc=\"dc3"))
        // Each metric is declared once.
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(types).count == types.count)
        // Without --all-dcs, no per-DC series.
        #expect(!DriftMetrics.render(.init(plan: c.drift, finished: 1, duration: 0.5, manifest: "m")).contains("_dc_"))
    }
    /// doctor: a warning per host the DCs disagree about (each DC's state named), information for a DC not read
    /// and for DCs that could not be listed.
    @Test func doctorNamesDisagreeingDCsAndUnreadOnes() throws {
        var lagging = inSync
        lagging[0].allowedToDelegateTo.removeLast()
        let c = try compare(read(dc1, inSync), read(dc2, lagging), DomainControllerReading(dc3, failure: "timed out"))
        var facts = Doctor.Facts(
            manifest: cluster, domain: "corp.example.com", observed: inSync, spnMappings: SPNMappings(),
            spnHolders: [:], users: [], now: Date(timeIntervalSince1970: 0), domainControllers: c)
        let findings = Doctor.disagreeingDomainControllers(.init(facts: facts, computers: inSync.indexedByName()))
        #expect(findings.map(\.severity) == [.info, .warning])
        #expect(findings[0].subject == "dc3.corp.example.com" && findings[0].problem.contains("timed out"))
        #expect(findings[1].subject == "HV01")
        #expect(
            findings[1].problem
                == "the domain controllers disagree: dc1.corp.example.com: matches the manifest; "
                + "dc2.corp.example.com: differs from the manifest; lacks \(mvsms)/HV02.corp.example.com")
        #expect(Doctor.exitStatus(Doctor.diagnose(facts)) != .success)

        facts.domainControllers = nil
        facts.domainControllersUnlisted = "insufficientAccessRights (50)"
        let unlisted = Doctor.disagreeingDomainControllers(.init(facts: facts, computers: inSync.indexedByName()))
        #expect(unlisted.map(\.severity) == [.info] && unlisted[0].problem.contains("insufficientAccessRights"))
    }
    /// A resource-based grant on one DC only is a disagreement, named by its SID.
    @Test func aDescriptorOnOneDCOnlyIsADisagreement() throws {
        let sid = try SecurityIdentifier("S-1-5-21-1-2-3-1102")
        var granted = inSync
        granted[0].allowedToActOnBehalf = try SecurityDescriptor.kcdctl(allowing: [sid]).encoded()
        let c = try compare(read(dc1, granted), read(dc2, inSync))
        let d = try #require(c.disagreements.first)
        #expect(d.host == "HV01" && d.states[1].lacksGrants == ["S-1-5-21-1-2-3-1102"])
        #expect(DomainControllerText.render(c).contains("lacks the resource-based grant of S-1-5-21-1-2-3-1102"))
    }
}
