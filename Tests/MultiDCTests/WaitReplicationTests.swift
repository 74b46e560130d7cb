import Foundation
import Testing

/// `apply --wait-replication` against the two-DC lab: in the MultiDC suite (serialized: these tests change the
/// lab's replication, and must not run beside the others).
extension MultiDC {
    /// The change replicates: both DCs are named as converged (the one written, the other polled), exit 0, and
    /// the klist purge advice comes after the wait.
    @Test func waitReplicationNamesBothDCsConverged() throws {
        let names = MultiDCLab.names("w", "x")
        try lab.addComputers(names, on: lab.dc1)
        try lab.helper("repl.sh", "sync")
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names)
        defer { try? FileManager.default.removeItem(atPath: manifest) }

        let apply = try lab.kcdctl("apply", "-f", manifest, "--auto-approve", "--wait-replication", "2m")
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        let lines = apply.stdout.split(separator: "\n").map(String.init)
        for dc in [lab.dc1, lab.dc2] {
            #expect(
                lines.contains { $0.hasPrefix("  \(dc) (site ") && $0.contains("): converged") },
                "\(dc) not named as converged: \(apply.stdout)")
        }
        let lastDC = lines.lastIndex { $0.contains("): converged") }
        let purge = lines.firstIndex { $0.hasPrefix("Kerberos tickets cached on these hosts") }
        #expect(purge != nil && lastDC != nil && purge! > lastDC!, "\(apply.stdout)")
    }

    /// mdc1's outbound replication off, the change written on mdc1 (its URI in the manifest): mdc2 never shows
    /// it; the wait ends after 20 s with mdc2 named as lagging (its hosts listed), exit 4.
    @Test func waitReplicationNamesALaggingDCAndExitsFour() throws {
        let names = MultiDCLab.names("y", "z")
        try lab.addComputers(names, on: lab.dc1)
        try lab.helper("repl.sh", "sync")
        try lab.waitForComputers(names, on: lab.dc2)
        let manifest = try lab.manifest(hosts: names, uri: "ldaps://\(lab.dc1)")
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        try lab.helper("repl.sh", "disable", lab.shortName(lab.dc1))
        defer { try? lab.helper("repl.sh", "enable", lab.shortName(lab.dc1)) }

        let started = Date()
        let apply = try lab.kcdctl("apply", "-f", manifest, "--auto-approve", "--wait-replication", "20s")
        let took = Date().timeIntervalSince(started)
        #expect(apply.status == 4, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains("Writing to \(lab.dc1) (writable)."), "\(apply.stdout)")
        let lagging = apply.stdout.split(separator: "\n").first { $0.hasPrefix("  \(lab.dc2)") }
        #expect(lagging?.contains(": still lagging after 2") == true, "\(apply.stdout)")
        for name in names { #expect(lagging?.contains(name) == true, "\(apply.stdout)") }
        #expect(took >= 20 && took < 60, "the wait took \(took) s")
    }
}
