import Foundation
import Testing

/// `drift --all-dcs`, doctor's comparison of the DCs, and verify's default probe from DNS, against the two-DC
/// lab (in the serialized MultiDC suite: the first test pauses replication).
extension MultiDC {
    /// mdc1's outbound replication off, the hosts' delegation written on mdc1: drift --all-dcs reports the hosts
    /// the DCs disagree about (mdc1 matches the manifest, mdc2 lacks the values) apart from drift, exit 4, a
    /// series per DC in the metrics, and doctor warns; replication back on, the DCs agree: exit 0.
    @Test func driftAllDCsReportsDCsThatDisagreeUntilReplicationConverges() throws {
        let names = MultiDCLab.names("d", "e")
        try lab.addComputers(names, on: lab.dc1)
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names, uri: "ldaps://\(lab.dc1)")
        let metrics = NSTemporaryDirectory() + "kcdctl-mdc-\(UUID().uuidString).prom"
        defer {
            try? FileManager.default.removeItem(atPath: manifest)
            try? FileManager.default.removeItem(atPath: metrics)
        }
        try lab.helper("repl.sh", "disable", lab.shortName(lab.dc1))
        defer { try? lab.helper("repl.sh", "enable", lab.shortName(lab.dc1)) }
        #expect(try lab.kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)

        let drift = try lab.kcdctl("drift", "-f", manifest, "--all-dcs", "--metrics-file", metrics)
        #expect(drift.status == 4, "\(drift.stdout)\(drift.stderr)")
        let out = drift.stdout
        #expect(out.contains("Read 2 domain controllers:\n"), "\(out)")
        #expect(out.contains("DOMAIN CONTROLLERS DISAGREE about 2 hosts"), "\(out)")
        let lines = out.split(separator: "\n").map(String.init)
        // Each host: mdc1 matches (with the protocol-transition bit), mdc2 lacks its values and the bit.
        #expect(
            lines.filter {
                $0.hasPrefix("    \(lab.dc1) (site ")
                    && $0.hasSuffix("): matches the manifest; delegation flags: TRUSTED_TO_AUTH_FOR_DELEGATION")
            }.count == 2, "\(out)")
        #expect(
            lines.filter {
                $0.hasPrefix("    \(lab.dc2) (site ") && $0.contains("): differs from the manifest; lacks ")
                    && $0.contains("cifs/") && $0.hasSuffix("; delegation flags: none")
            }.count == 2, "\(out)")
        #expect(out.hasSuffix("Apart from those, no drift.\n"), "\(out)")
        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(prom.contains("kcdctl_drift_disagreeing_hosts{manifest=\"\(manifest)\"} 2\n"), "\(prom)")
        #expect(prom.contains("dc=\"\(lab.dc1)\",site=\"Default-First-Site-Name\"} 1\n"), "\(prom)")
        #expect(
            prom.split(separator: "\n").contains {
                $0.hasPrefix("kcdctl_drift_dc_hosts{") && $0.contains("dc=\"\(lab.dc2)\"") && $0.hasSuffix("} 2")
            }, "\(prom)")

        let doctor = try lab.kcdctl("doctor", "-f", manifest)
        #expect(doctor.status == 2, "\(doctor.stdout)\(doctor.stderr)")
        for name in names {
            #expect(
                doctor.stdout.contains(
                    "WARNING \(name): the domain controllers disagree: \(lab.dc1): matches the manifest; "),
                "\(doctor.stdout)")
        }

        try lab.helper("repl.sh", "enable", lab.shortName(lab.dc1))
        try lab.helper("repl.sh", "sync")
        let converged = try lab.kcdctl("drift", "-f", manifest, "--all-dcs")
        #expect(converged.status == 0, "\(converged.stdout)\(converged.stderr)")
        #expect(converged.stdout.contains("In sync: 2 hosts match \(manifest) on every DC read."))
        #expect(!converged.stdout.contains("DISAGREE"))
        #expect(try lab.kcdctl("drift", "-f", manifest, "--all-dcs", "--quiet").stdout.isEmpty)
    }

    /// No URI and a single cluster: verify's SPN that must be refused is the PDC emulator's cifs SPN, found in
    /// DNS (before, the user had to give --must-refuse); the KDC grants the peer and refuses it.
    @Test func verifyTakesTheDCToRefuseFromDNS() throws {
        let names = MultiDCLab.names("v", "w")
        try lab.addComputers(names, on: lab.dc1)
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names)
        let keytab = NSTemporaryDirectory() + "kcdctl-mdc-\(UUID().uuidString).keytab"
        defer {
            try? FileManager.default.removeItem(atPath: manifest)
            try? FileManager.default.removeItem(atPath: keytab)
        }
        #expect(try lab.kcdctl("apply", "-f", manifest, "--auto-approve").status == 0)
        // Both hosts need keys: the KDC issues the peer's service ticket with the peer's key.
        try lab.helper("keytab.sh", names[1], keytab)
        try lab.helper("keytab.sh", names[0], keytab)

        let proof = try lab.kcdctl(
            "verify", "-f", manifest, "--host", names[0], "--keytab", keytab, "--impersonate",
            "Administrator@\(lab.domain.uppercased())", "--service", "cifs")
        #expect(proof.status == 0, "\(proof.stdout)\(proof.stderr)")
        let refused = proof.stdout.split(separator: "\n").first { $0.contains("cifs/\(lab.dc1)") }
        #expect(refused?.contains("refused") == true, "\(proof.stdout)")
    }
}

/// Samba as it ships refuses LDAP writes of msDS-AllowedToActOnBehalfOfOtherIdentity (system-only, also for
/// administrators), where Windows DCs take them: kcdctl says so, names the host, and nothing is written.
extension MultiDC {
    @Test func resourceBasedApplyOnStockSambaExplainsTheRefusal() throws {
        let names = MultiDCLab.names("r", "s")
        try lab.addComputers(names, on: lab.dc1)
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names, uri: "ldaps://\(lab.dc1)", mode: "resource-based")
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        let apply = try lab.kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(apply.status == 1, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stderr.contains("19 constraintViolation"), "\(apply.stderr)")
        #expect(apply.stderr.contains("its schema marks the attribute system-only"), "\(apply.stderr)")
        for name in names {
            let read = try lab.ldap(
                "ldapsearch", lab.dc1,
                ["-LLL", "-b", lab.dn(name), "-s", "base", "msDS-AllowedToActOnBehalfOfOtherIdentity"])
            #expect(
                read.status == 0 && !read.stdout.contains("msDS-AllowedToActOnBehalfOfOtherIdentity:"), "\(read.stdout)"
            )
        }
    }
}
