import Foundation
import Testing
@testable import KCDCore

/// Two healthy, converged hosts read an hour after their last change, with every SPN held once.
func healthyFacts(mode: DelegationMode = .anyProtocol) -> Doctor.Facts {
    let m = manifest(Cluster(name: "a", mode: mode, hosts: ["HV01", "HV02"]))
    let uac = mode.userAccountControl(from: .workstationTrustAccount)
    var observed = ["HV01", "HV02"].map { name -> ObservedComputer in
        let peer = name == "HV01" ? "HV02" : "HV01"
        var c = computer(name, uac: uac, values: ["cifs", mvsms].flatMap { ["\($0)/\(peer)", "\($0)/\(peer.lowercased()).corp.example.com"] })
        c.whenChanged = "20261125100000.0Z"
        return c
    }
    observed.sort { $0.name < $1.name }
    var holders: [String: [String]] = [:]
    for c in observed { for spn in c.servicePrincipalNames { holders[SPN(spn).key, default: []].append(c.name + "$") } }
    return Doctor.Facts(manifest: m, domain: "corp.example.com", observed: observed, spnMappings: cifsMapping,
                        spnHolders: holders, users: [], now: Doctor.generalizedTime("20261125110000.0Z")!)
}

@Suite struct Diagnosis {
    @Test func aHealthySetupHasNoFindings() {
        #expect(Doctor.diagnose(healthyFacts()) == [])
        #expect(Doctor.renderText([]) == "No findings: nothing known to break live migration.\n")
    }

    @Test func eachConditionIsOneFinding() {
        var facts = healthyFacts(mode: .kerberosOnly)
        facts.observed[0].userAccountControl.insert(.trustedForDelegation)
        facts.observed[1].userAccountControl.insert(.accountDisable)
        facts.spnHolders[SPN("\(mvsms)/hv02.corp.example.com").key] = nil
        facts.spnHolders[SPN("cifs/HV01").key] = ["SOMEONE$"]
        facts.users = [UserFacts(name: "alice", dn: "CN=alice", userAccountControl: [.normalAccount, .notDelegated]),
                       UserFacts(name: "carol", dn: "CN=carol", protectedUsersVia: "migrators"),
                       UserFacts(name: "ghost", dn: nil)]
        facts.observed[1].whenChanged = "20261125105500.0Z"
        let found = Doctor.diagnose(facts).map { "\($0.severity.rawValue) \($0.subject): \($0.problem)" }
        #expect(found == [
            "error alice: \"Account is sensitive and cannot be delegated\" is set (NOT_DELEGATED, 0x100000)",
            "error carol: member of Protected Users (through migrators)",
            "error cifs/hv01: the same SPN is registered on 2 accounts: HV01$, SOMEONE$ (counting host/hv01, which sPNMappings map it to)",
            "error ghost: no such user in the directory",
            "error HV01: unconstrained delegation is set (TRUSTED_FOR_DELEGATION, 0x80000)",
            "error HV02: the computer account is disabled",
            "error \(mvsms)/hv02.corp.example.com: no account registers this SPN",
            "warning cluster a: mode kerberos-only (no protocol transition)",
            "warning HV01: AD differs from the manifest: userAccountControl 0x81000 should be 0x1000",
            "info HV02: changed 5 min ago (2026-11-25T10:55:00Z)",
        ])
    }

    @Test func aMissingHostIsAnErrorAndNoDriftIsGuessed() {
        var facts = healthyFacts()
        facts.observed.removeLast()
        let found = Doctor.diagnose(facts)
        #expect(found.contains { $0.subject == "HV02" && $0.problem == "no computer object in the directory" })
        #expect(!found.contains { $0.problem.hasPrefix("AD differs") })
    }

    @Test func spnsToLookUpIncludeMappedForms() {
        let facts = healthyFacts()
        let spns = Doctor.spnsToLookUp(facts.manifest, domain: facts.domain, observed: facts.observed, mappings: cifsMapping).map(\.key)
        #expect(spns.contains("cifs/hv02") && spns.contains("host/hv02") && spns.contains("host/hv01.corp.example.com"))
    }

    @Test func generalizedTime() {
        #expect(Doctor.generalizedTime("20261125160702.0Z") == Date(timeIntervalSince1970: 1_795_622_822))
        #expect(Doctor.generalizedTime("2026") == nil)
    }

    @Test func proofVerdicts() {
        func proof(_ targets: [DelegationProof.Target], forwardable: Bool = true) -> DelegationProof {
            DelegationProof(host: "HV01", principal: "HV01$@R", impersonated: "u@R", selfTicket: .granted, selfTicketForwardable: forwardable, targets: targets)
        }
        let granted = DelegationProof.Target(spn: "cifs/HV02", declared: true, outcome: .granted)
        let refusedOutsider = DelegationProof.Target(spn: "cifs/X", declared: false, outcome: .refused("KDC can't fulfill requested option"))
        #expect(proof([granted, refusedOutsider]).matchesManifest)
        #expect(!proof([granted, .init(spn: "cifs/X", declared: false, outcome: .granted)]).matchesManifest)
        #expect(!proof([.init(spn: "cifs/HV02", declared: true, outcome: .unknownSPN("not found")), refusedOutsider]).matchesManifest)
        #expect(!proof([granted, .init(spn: "cifs/X", declared: false, outcome: .unknownSPN("not found"))]).matchesManifest,
                "an unknown SPN is not a delegation refusal")
        let text = proof([granted, refusedOutsider], forwardable: false).renderText()
        #expect(text.contains("S4U2Self: granted, NOT forwardable"))
        #expect(text.contains("ok  cifs/HV02  granted  (declared)"))
    }
}

@Suite struct DoctorExitStatus {
    @Test func errorsOneWarningsTwoInformationZero() {
        func finding(_ severity: Finding.Severity) -> Finding {
            Finding(severity, "HV01", "p", why: "w", fix: "f")
        }
        #expect(Doctor.exitStatus([]) == .success)
        #expect(Doctor.exitStatus([finding(.info), finding(.info)]) == .success)
        #expect(Doctor.exitStatus([finding(.info), finding(.warning)]) == .differs)
        #expect(Doctor.exitStatus([finding(.warning), finding(.error), finding(.info)]) == .failure)
    }
}

@Suite struct VerifyVerdict {
    func proof(_ probe: DelegationProof.Outcome, declared: DelegationProof.Outcome = .granted) -> DelegationProof {
        DelegationProof(host: "HV01", principal: "HV01$@R", impersonated: "u@R", selfTicket: .granted, selfTicketForwardable: true,
                        targets: [.init(spn: "cifs/HV02", declared: true, outcome: declared), .init(spn: "cifs/X", declared: false, outcome: probe)])
    }

    @Test func anUnknownProbeIsInconclusiveNotAMismatch() {
        #expect(proof(.refused("no")).exitStatus == .success)
        #expect(proof(.unknownSPN("not found")).verdict == .inconclusive && proof(.unknownSPN("not found")).exitStatus == .stale)
        #expect(proof(.granted).verdict == .doesNotMatch, "an undeclared target granted is a real mismatch")
        #expect(proof(.unknownSPN("x"), declared: .refused("no")).verdict == .doesNotMatch)
        #expect(!proof(.unknownSPN("x")).renderText().contains("does NOT grant"))
    }
}
