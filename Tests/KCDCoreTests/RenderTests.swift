import Foundation
import Testing
@testable import KCDCore

/// One host to change (adds, a removal, a security fix), one unchanged, one warning.
func samplePlan() throws -> Plan {
    let m = manifest(Cluster(name: "a", mode: .anyProtocol, services: ["cifs"], hosts: ["HV01", "HV02", "HV03"]))
    return try Reconciler.plan(m, domain: "corp.example.com", observed: [
        computer("HV01", uac: [.workstationTrustAccount, .trustedForDelegation], values: ["cifs/HV02", "cifs/HV09", "http/web01"]),
        computer("HV02", uac: rightUAC, values: ["cifs/HV01", "cifs/hv01.corp.example.com", "cifs/HV03", "cifs/hv03.corp.example.com"]),
        computer("HV03", uac: rightUAC, values: ["cifs/HV01", "cifs/hv01.corp.example.com", "cifs/HV02", "cifs/hv02.corp.example.com"],
                 spns: ["HOST/HV03"]),
    ], spnMappings: cifsMapping)
}

@Suite struct Rendering {
    @Test func text() throws {
        #expect(PlanText.render(try samplePlan()) == """
            ~ HV01  CN=HV01,CN=Computers,DC=corp,DC=example,DC=com
                + msDS-AllowedToDelegateTo: cifs/hv02.corp.example.com
                + msDS-AllowedToDelegateTo: cifs/HV03
                + msDS-AllowedToDelegateTo: cifs/hv03.corp.example.com
                - msDS-AllowedToDelegateTo: cifs/HV09
                ~ userAccountControl: 0x81000 -> 0x1001000
                    + TRUSTED_TO_AUTH_FOR_DELEGATION  (constrained delegation: use any authentication protocol)
                    - TRUSTED_FOR_DELEGATION  (unconstrained delegation)  SECURITY FIX

            Warnings:
              ! cifs/hv03.corp.example.com: not registered on HV03 (nor through sPNMappings): delegation to it cannot work until the SPN is registered

            Plan: 1 host to change (3 values to add, 1 to remove, 1 userAccountControl change, 1 security fix), 2 unchanged.

            """)
    }

    @Test func noChanges() throws {
        let p = Plan(changes: [], unchanged: ["HV01", "HV02"], warnings: [])
        #expect(PlanText.render(p) == "No changes: 2 hosts match the manifest.\n")
    }

    @Test func json() throws {
        let text = PlanJSON.render(try samplePlan())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["formatVersion"] as? Int == 1)
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        let c = changes[0]
        #expect(c["host"] as? String == "HV01")
        #expect(c["dn"] as? String == "CN=HV01,CN=Computers,DC=corp,DC=example,DC=com")
        #expect(c["add"] as? [String] == ["cifs/hv02.corp.example.com", "cifs/HV03", "cifs/hv03.corp.example.com"])
        #expect(c["remove"] as? [String] == ["cifs/HV09"])
        #expect(c["securityFix"] as? Bool == true)
        let uac = try #require(c["userAccountControl"] as? [String: Any])
        #expect(uac["from"] as? Int == 0x81000 && uac["to"] as? Int == 0x1001000)
        #expect(uac["clearedFlags"] as? [String] == ["TRUSTED_FOR_DELEGATION"])
        #expect(object["unchanged"] as? [String] == ["HV02", "HV03"])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["hostsToChange"] == 1 && summary["valuesToAdd"] == 3 && summary["valuesToRemove"] == 1)
        #expect(PlanJSON.render(try samplePlan()) == text, "stable bytes")
    }

    @Test func showDescribesTheDelegationTab() {
        #expect(ComputerText.delegation(computer("A", uac: [.workstationTrustAccount, .trustedForDelegation])).hasPrefix("UNCONSTRAINED"))
        #expect(ComputerText.delegation(computer("A", uac: rightUAC, values: ["cifs/B"])).hasSuffix("use any authentication protocol"))
        #expect(ComputerText.delegation(computer("A", values: ["cifs/B"])).hasSuffix("use Kerberos only"))
        #expect(ComputerText.delegation(computer("A")) == "not trusted for delegation")
    }
}
