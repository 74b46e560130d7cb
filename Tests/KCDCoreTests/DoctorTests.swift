import Foundation
import Testing

@testable import KCDCore

/// Two healthy, converged hosts read an hour after their last change, with every SPN held once.
func healthyFacts(mode: DelegationMode = .anyProtocol) -> Doctor.Facts {
    let m = manifest(Cluster(name: "a", mode: mode, hosts: ["HV01", "HV02"]))
    let uac = mode.userAccountControl(from: .workstationTrustAccount)
    var observed = ["HV01", "HV02"].map { name -> ObservedComputer in
        let peer = name == "HV01" ? "HV02" : "HV01"
        var c = computer(
            name, uac: uac,
            values: ["cifs", mvsms].flatMap { ["\($0)/\(peer)", "\($0)/\(peer.lowercased()).corp.example.com"] })
        c.whenChanged = "20261125100000.0Z"
        return c
    }
    observed.sort { $0.name < $1.name }
    var holders: [String: [String]] = [:]
    for c in observed { for spn in c.servicePrincipalNames { holders[SPN(spn).key, default: []].append(c.name + "$") } }
    return Doctor.Facts(
        manifest: m, domain: "corp.example.com", observed: observed, spnMappings: cifsMapping,
        spnHolders: holders, users: [], now: Doctor.generalizedTime("20261125110000.0Z")!)
}

@Suite struct Diagnosis {
    @Test func aHealthySetupHasNoFindings() {
        #expect(Doctor.diagnose(healthyFacts()) == [])
        #expect(DoctorText.render([]) == "No findings: nothing known to break live migration.\n")
    }

    @Test func eachConditionIsOneFinding() {
        var facts = healthyFacts(mode: .kerberosOnly)
        facts.observed[0].userAccountControl.insert(.trustedForDelegation)
        facts.observed[1].userAccountControl.insert(.accountDisable)
        facts.spnHolders[SPN("\(mvsms)/hv02.corp.example.com").key] = nil
        facts.spnHolders[SPN("cifs/HV01").key] = ["SOMEONE$"]
        facts.users = [
            UserFacts(name: "alice", dn: "CN=alice", userAccountControl: [.normalAccount, .notDelegated]),
            UserFacts(name: "carol", dn: "CN=carol", protectedUsersVia: "migrators"),
            UserFacts(name: "ghost", dn: nil),
        ]
        facts.observed[1].whenChanged = "20261125105500.0Z"
        facts.domainController = "dc01.corp.example.com"
        let found = Doctor.diagnose(facts).map { "\($0.severity.rawValue) \($0.subject): \($0.problem)" }
        #expect(
            found == [
                "error alice: \"Account is sensitive and cannot be delegated\" is set (NOT_DELEGATED, 0x100000)",
                "error carol: member of Protected Users (through migrators)",
                "error cifs/hv01: the same SPN is registered on 2 accounts: HV01$, SOMEONE$ (counting host/hv01, which sPNMappings map it to)",
                "error ghost: no such user in the directory",
                "error HV01: unconstrained delegation is set (TRUSTED_FOR_DELEGATION, 0x80000)",
                "error HV02: the computer account is disabled",
                "error \(mvsms)/hv02.corp.example.com: no account registers this SPN",
                "warning cluster a: mode kerberos-only (no protocol transition)",
                "warning HV01: AD differs from the manifest: userAccountControl 0x81000 should be 0x1000",
                "info HV02: changed 5 min ago on dc01.corp.example.com (2026-11-25T10:55:00Z)",
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
        let spns = Doctor.spnsToLookUp(
            facts.manifest, domain: facts.domain, observed: facts.observed, mappings: cifsMapping
        ).map(\.key)
        #expect(spns.contains("cifs/hv02") && spns.contains("host/hv02") && spns.contains("host/hv01.corp.example.com"))
    }

    @Test func generalizedTime() {
        #expect(Doctor.generalizedTime("20261125160702.0Z") == Date(timeIntervalSince1970: 1_795_622_822))
        #expect(Doctor.generalizedTime("2026") == nil)
    }

    @Test func proofVerdicts() {
        func proof(_ targets: [DelegationProof.Target], forwardable: Bool = true) -> DelegationProof {
            DelegationProof(
                host: "HV01", principal: "HV01$@R", impersonated: "u@R", selfTicket: .granted,
                selfTicketForwardable: forwardable, targets: targets)
        }
        let granted = DelegationProof.Target(spn: "cifs/HV02", declared: true, outcome: .granted)
        let refusedOutsider = DelegationProof.Target(
            spn: "cifs/X", declared: false, outcome: .refused("KDC can't fulfill requested option"))
        #expect(proof([granted, refusedOutsider]).matchesManifest)
        #expect(!proof([granted, .init(spn: "cifs/X", declared: false, outcome: .granted)]).matchesManifest)
        #expect(
            !proof([.init(spn: "cifs/HV02", declared: true, outcome: .unknownSPN("not found")), refusedOutsider])
                .matchesManifest)
        #expect(
            !proof([granted, .init(spn: "cifs/X", declared: false, outcome: .unknownSPN("not found"))]).matchesManifest,
            "an unknown SPN is not a delegation refusal")
        let text = ProofText.render(proof([granted, refusedOutsider], forwardable: false))
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
        DelegationProof(
            host: "HV01", principal: "HV01$@R", impersonated: "u@R", selfTicket: .granted, selfTicketForwardable: true,
            targets: [
                .init(spn: "cifs/HV02", declared: true, outcome: declared),
                .init(spn: "cifs/X", declared: false, outcome: probe),
            ])
    }

    @Test func anUnknownProbeIsInconclusiveNotAMismatch() {
        #expect(proof(.refused("no")).exitStatus == .success)
        #expect(
            proof(.unknownSPN("not found")).verdict == .inconclusive
                && proof(.unknownSPN("not found")).exitStatus == .stale)
        #expect(proof(.granted).verdict == .doesNotMatch, "an undeclared target granted is a real mismatch")
        #expect(proof(.unknownSPN("x"), declared: .refused("no")).verdict == .doesNotMatch)
        #expect(!ProofText.render(proof(.unknownSPN("x"))).contains("does NOT grant"))
    }
}

/// One test per cause: the finding a person reads, with its fix.
@Suite struct DoctorCauses {
    func findings(_ facts: Doctor.Facts) -> [String] {
        Doctor.diagnose(facts).map { "\($0.severity.rawValue) \($0.subject): \($0.problem) | fix: \($0.fix)" }
    }

    @Test func aKerberosOnlyCluster() {
        #expect(
            findings(healthyFacts(mode: .kerberosOnly)) == [
                "warning cluster a: mode kerberos-only (no protocol transition) | fix: set mode: any-protocol for "
                    + "cluster a in the manifest, then kcdctl apply"
            ])
    }

    @Test func aMissingHostIsNamedWithItsFix() {
        var facts = healthyFacts()
        facts.observed.removeLast()
        #expect(
            findings(facts).filter { $0.hasPrefix("error HV02") } == [
                "error HV02: no computer object in the directory | fix: join HV02 to the domain, or remove it from "
                    + "the manifest"
            ])
    }

    @Test func aDisabledAndAnUnconstrainedHost() {
        var facts = healthyFacts()
        facts.observed[0].userAccountControl.insert(.accountDisable)
        facts.observed[0].userAccountControl.insert(.trustedForDelegation)
        #expect(
            findings(facts).filter { $0.hasPrefix("error") } == [
                "error HV01: the computer account is disabled | fix: enable the account (Enable-ADAccount HV01$) or "
                    + "remove HV01 from the manifest",
                "error HV01: unconstrained delegation is set (TRUSTED_FOR_DELEGATION, 0x80000) | fix: kcdctl apply "
                    + "(it clears the bit and sets constrained delegation)",
            ])
    }

    @Test func aTargetNobodyRegistersNamesItsOwnerAndTheMappedForm() {
        var facts = healthyFacts()
        facts.spnHolders[SPN("HOST/HV02").key] = nil
        facts.spnHolders[SPN("\(mvsms)/HV01").key] = nil
        #expect(
            findings(facts) == [
                "error cifs/HV02: no account registers this SPN (nor host/HV02, which sPNMappings map it to) | fix: "
                    + "register it on HV02: setspn -S \"cifs/HV02\" HV02",
                "error \(mvsms)/HV01: no account registers this SPN | fix: register it on HV01: setspn -S "
                    + "\"\(mvsms)/HV01\" HV01 (the Hyper-V Virtual Machine Management service registers it when it starts)",
            ])
    }

    @Test func anExtraTargetNobodyRegisters() {
        var facts = healthyFacts()
        facts.manifest.clusters[0].extraTargets = [SPN("ldap/web01")]
        #expect(
            findings(facts) == [
                "error ldap/web01: no account registers this SPN | fix: register it on the account that runs the "
                    + "service (setspn -S), or remove it from extraTargets",
                "warning HV01: AD differs from the manifest: 1 delegation value missing | fix: kcdctl plan, then "
                    + "kcdctl apply",
                "warning HV02: AD differs from the manifest: 1 delegation value missing | fix: kcdctl plan, then "
                    + "kcdctl apply",
            ])
    }

    @Test func theSameSPNOnTwoAccounts() {
        var facts = healthyFacts()
        facts.spnHolders[SPN("HOST/HV02").key] = ["HV02$", "OLDHV02$"]
        #expect(
            findings(facts) == [
                "error host/hv02: the same SPN is registered on 2 accounts: HV02$, OLDHV02$ | fix: keep it on the "
                    + "right account only: setspn -D \"host/hv02\" <the other account>"
            ])
    }

    @Test func usersWhoCannotBeDelegated() {
        var facts = healthyFacts()
        facts.users = [
            UserFacts(
                name: "alice@CORP.EXAMPLE.COM", dn: "CN=alice",
                userAccountControl: [.normalAccount, .notDelegated]),
            UserFacts(name: "bob", dn: "CN=bob", protectedUsersVia: ""),
            UserFacts(name: "ghost", dn: nil, userAccountControl: .notDelegated, protectedUsersVia: ""),
        ]
        #expect(
            findings(facts) == [
                "error alice@CORP.EXAMPLE.COM: \"Account is sensitive and cannot be delegated\" is set (NOT_DELEGATED, "
                    + "0x100000) | fix: clear the flag for accounts that must start migrations (Set-ADAccountControl "
                    + "alice -AccountNotDelegated $false), or use another account",
                "error bob: member of Protected Users | fix: remove bob from Protected Users, or start migrations with "
                    + "another account",
                "error ghost: no such user in the directory | fix: check the name (sAMAccountName or user@REALM)",
            ])
    }

    @Test func driftCountsWhatPlanWouldChange() {
        var facts = healthyFacts()
        facts.observed[0].allowedToDelegateTo = ["cifs/OLD"]
        #expect(
            findings(facts) == [
                "warning HV01: AD differs from the manifest: 4 delegation values missing, 1 not in the manifest | fix: "
                    + "kcdctl plan, then kcdctl apply"
            ])
    }

    @Test(arguments: [("20261125104600.0Z", true), ("20261125104400.0Z", false), ("20261125110100.0Z", false)])
    func aRecentChangeOnlyWithinTheTicketLifetime(whenChanged: String, reported: Bool) {
        var facts = healthyFacts()
        facts.observed[0].whenChanged = whenChanged
        #expect(
            findings(facts)
                == (reported
                    ? [
                        "info HV01: changed 14 min ago (2026-11-25T10:46:00Z) | fix: run klist -li 0x3e7 purge on HV01, or wait "
                            + "until 2026-11-25T11:01:00Z"
                    ] : []))
    }

    /// `doctor` end to end through a directory: the computers, the holders of the SPNs concerned and the users.
    @Test func examineReadsWhatTheDiagnosisNeeds() throws {
        let facts = healthyFacts()
        let directory = MemoryDirectory(facts.observed)
        directory.mappings = cifsMapping
        directory.users["alice"] = UserFacts(name: "alice", dn: "CN=alice", protectedUsersVia: "migrators")
        let found = try Doctor.examine(
            facts.manifest, domain: facts.domain, users: ["alice", "ghost"],
            in: directory, now: facts.now)
        #expect(
            found.map { "\($0.subject): \($0.problem)" } == [
                "alice: member of Protected Users (through migrators)", "ghost: no such user in the directory",
            ])
        directory.objects["hv02"]!.servicePrincipalNames.removeAll { $0.hasPrefix("HOST/") }
        let unregistered = try Doctor.examine(
            facts.manifest, domain: facts.domain, users: [], in: directory,
            now: facts.now)
        #expect(unregistered.map(\.subject) == ["cifs/HV02", "cifs/hv02.corp.example.com"])
    }
}

@Suite struct DiagnosisOutput {
    let findings = [
        Finding(.error, "HV01", "the computer account is disabled", why: "no tickets", fix: "enable it"),
        Finding(.info, "cifs/HV02", "p", why: "w", fix: "f"),
    ]

    @Test func doctorText() {
        #expect(
            DoctorText.render(findings) == """
                ERROR HV01: the computer account is disabled
                    why: no tickets
                    fix: enable it
                INFO cifs/HV02: p
                    why: w
                    fix: f

                2 findings: 1 error(s), 0 warning(s), 1 info.

                """)
    }

    @Test func doctorJSON() {
        #expect(
            DoctorJSON.render(Array(findings.prefix(1))) == """
                {
                  "findings" : [
                    {
                      "fix" : "enable it",
                      "problem" : "the computer account is disabled",
                      "severity" : "error",
                      "subject" : "HV01",
                      "why" : "no tickets"
                    }
                  ]
                }

                """)
    }

    /// `doctor --user U` that finds nothing in AD points at the hosts; any finding, or no user named, does not.
    @Test func windowsSideChecklistOnlyWhenUsersAreNamedAndNothingIsFound() {
        let none = "No findings: nothing known to break live migration.\n"
        #expect(DoctorText.render([], users: []) == none)
        #expect(WindowsSideChecklist.items(findings: [], users: []) == nil)
        #expect(WindowsSideChecklist.items(findings: Array(findings.suffix(1)), users: ["alice"]) == nil)
        #expect(!DoctorText.render(Array(findings.suffix(1)), users: ["alice"]).contains("windows-side"))

        let text = DoctorText.render([], users: ["alice", "bob@CORP.EXAMPLE.COM"])
        #expect(
            text.hasPrefix(none + "\nActive Directory is as live migration needs it for alice, bob@CORP.EXAMPLE.COM. "))
        #expect(text.contains("If migration still fails, check the hosts (docs/windows-side.md):\n"))
        let items = WindowsSideChecklist.items(findings: [], users: ["alice"]) ?? []
        #expect(text.hasSuffix(items.map { "  - \($0)\n" }.joined()))
        for needed in [
            "Set-VMHost -VirtualMachineMigrationAuthenticationType Kerberos", "Enable-VMMigration", "TCP 6600",
            "klist -li 0x3e7 purge", "kcdctl drift --all-dcs", "failover cluster", "Hyper-V-VMMS-Admin", "4769",
        ] {
            #expect(items.contains { $0.contains(needed) }, "\(needed)")
        }
        // A user name is what someone typed: shown escaped.
        #expect(DoctorText.render([], users: ["eve\u{1b}[2J"]).contains("eve\\x1b[2J."))
    }

    @Test func doctorJSONCarriesTheChecklistOnlyWhenItApplies() throws {
        #expect(!DoctorJSON.render([], users: []).contains("checklist"))
        #expect(!DoctorJSON.render(findings, users: ["alice"]).contains("checklist"))
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(DoctorJSON.render([], users: ["alice"]).utf8))
                as? [String: Any])
        #expect(document["findings"] as? [Any] != nil)
        #expect(document["checklist"] as? [String] == WindowsSideChecklist.items(findings: [], users: ["alice"]))
    }

    let inconclusive = DelegationProof(
        host: "HV01", principal: "HV01$@R", impersonated: "u@R", selfTicket: .granted, selfTicketForwardable: true,
        targets: [
            .init(spn: "cifs/HV02", declared: true, outcome: .granted),
            .init(spn: "cifs/X", declared: false, outcome: .unknownSPN("not found")),
        ])

    @Test func proofText() {
        #expect(
            ProofText.render(inconclusive) == """
                HV01 (HV01$@R) acting for u@R:
                  S4U2Self: granted, forwardable
                  ok  cifs/HV02  granted  (declared)
                  BAD cifs/X     KDC does not know this SPN  (must be refused): not found
                Inconclusive: the KDC grants every declared target of HV01, but could not judge the SPN that must be \
                refused; name one it knows with --must-refuse.
                (1 SPN unknown to the KDC: not registered, or a KDC that cannot look up SPNs with spaces, such as Samba \
                4.17's; --service cifs limits the check.)

                """)
        let refused = DelegationProof(
            host: "HV01", principal: "HV01$@R", impersonated: "u@R", selfTicket: .refused("x"),
            selfTicketForwardable: false, targets: [.init(spn: "cifs/HV02", declared: true, outcome: .refused("no"))])
        #expect(
            ProofText.render(refused) == """
                HV01 (HV01$@R) acting for u@R:
                  S4U2Self: refused (x)
                  BAD cifs/HV02  refused  (declared): no
                The KDC does NOT grant what the manifest declares for HV01.

                """)
    }

    @Test func proofJSON() {
        #expect(
            ProofJSON.render(inconclusive) == """
                {
                  "host" : "HV01",
                  "impersonated" : "u@R",
                  "matchesManifest" : false,
                  "principal" : "HV01$@R",
                  "resourceBased" : false,
                  "selfTicket" : "granted",
                  "selfTicketForwardable" : true,
                  "targets" : [
                    {
                      "asExpected" : true,
                      "declared" : true,
                      "outcome" : "granted",
                      "spn" : "cifs/HV02"
                    },
                    {
                      "asExpected" : false,
                      "declared" : false,
                      "outcome" : "KDC does not know this SPN",
                      "reason" : "not found",
                      "spn" : "cifs/X"
                    }
                  ],
                  "verdict" : "inconclusive"
                }

                """)
    }
}
