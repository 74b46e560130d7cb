import Foundation
import KCDCore
import Testing

/// directory.valueLimit against the Samba DC (which has no such limit itself): a low limit makes plan and apply
/// refuse before any write, naming the hosts; validate warns.
@Suite(
    "The value budget against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct ValueLimit {
    let dc = TestDC.shared!

    @Test func aLowLimitRefusesThePlanBeforeAnyWrite() throws {
        let names = TestDC.names("a", "b")
        try dc.addComputers(names)
        // Each host registers 4 SPNs and would get 4 delegation values: 8 > 7.
        let manifest = try dc.manifest(
            "  - name: c\n    mode: any-protocol\n    hosts: [\(names.joined(separator: ", "))]",
            directory: dc.simpleDirectory + "\n  valueLimit: 7")
        defer { try? FileManager.default.removeItem(atPath: manifest) }
        let before = try dc.read(names)

        let plan = try kcdctl("plan", "-f", manifest)
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        #expect(
            plan.stderr.contains("more values than directory.valueLimit (7) on one object: \(names[0]) would hold 8"),
            "\(plan.stderr)")
        let apply = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(apply.status == 1 && apply.stderr.contains("nothing was changed"), "\(apply.stderr)")
        let after = try dc.read(names)
        for name in names { #expect(after[name]?.usnChanged == before[name]?.usnChanged, "\(name) was written") }

        // doctor still diagnoses: the budget is its error finding, not the end of the run.
        let doctor = try kcdctl("doctor", "-f", manifest)
        #expect(doctor.status == 1 && doctor.stderr.isEmpty, "\(doctor.stdout)\(doctor.stderr)")
        #expect(doctor.stdout.contains("ERROR \(names[0]): would hold 8 values"), "\(doctor.stdout)")

        let validate = try kcdctl("validate", "-f", manifest, "--no-files")
        #expect(
            validate.status == 0 && validate.stderr.contains("exceeds directory.valueLimit (7)"), "\(validate.stderr)")
    }
}
