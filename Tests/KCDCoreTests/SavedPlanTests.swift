import Foundation
import Testing
@testable import KCDCore

func savedSample() throws -> String {
    PlanDocument(try samplePlan(), .init(
        kcdctlVersion: "9.9", createdAt: Date(timeIntervalSince1970: 1_800_000_000), manifestPath: "/etc/kcdctl/m.yaml",
        manifestSHA256: SHA256.hex("manifest"), uri: "ldaps://dc01", baseDN: "DC=corp,DC=example,DC=com")).encoded()
}

func decodeError(_ text: String) -> String? {
    do {
        _ = try PlanDocument.decode(Array(text.utf8))
        return nil
    } catch {
        return String(describing: error)
    }
}

@Suite struct SavedPlans {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(input: String, digest: String) {
        #expect(SHA256.hex(input) == digest)
    }

    @Test func sha256OfAMillionA() {
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func roundTripGivesTheSamePlan() throws {
        let document = try PlanDocument.decode(Array(try savedSample().utf8))
        let plan = try document.plan
        let original = try samplePlan()
        #expect(plan.changes.map(\.host) == original.changes.map(\.host))
        #expect(plan.changes[0].add == original.changes[0].add && plan.changes[0].remove.map(\.value) == original.changes[0].remove.map(\.value))
        #expect(plan.changes[0].userAccountControl == original.changes[0].userAccountControl)
        #expect(plan.changes[0].observed.allowedToDelegateTo == original.changes[0].observed.allowedToDelegateTo)
        #expect(plan.changes[0].observed.userAccountControl == original.changes[0].observed.userAccountControl)
        #expect(plan.changes[0].clusters == ["a"])
        #expect(document.createdDate == Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test func aHandEditIsRefused() throws {
        let edited = try savedSample().replacingOccurrences(of: "\"cifs/HV09\"\n", with: "\"cifs/HV08\"\n")
        #expect(edited != (try savedSample()))
        #expect(decodeError(edited) == "the plan was changed after kcdctl wrote it (its sha256 does not match its content); make a new plan")
    }

    @Test func truncatedOrForeignFilesAreRefused() throws {
        let text = try savedSample()
        #expect(decodeError(String(text.prefix(text.count / 2)))?.hasPrefix("not a readable kcdctl plan (") == true)
        #expect(decodeError("{}") == "not a readable kcdctl plan (missing changes)" || decodeError("{}")?.hasPrefix("not a readable kcdctl plan (missing") == true)
        #expect(decodeError(text.replacingOccurrences(of: "\"kcdctl-plan\"", with: "\"terraform\"")) == "not a kcdctl plan (kind 'terraform')")
        #expect(decodeError(text.replacingOccurrences(of: "\"formatVersion\" : 1", with: "\"formatVersion\" : 7")) == "plan format version 7; this kcdctl reads version 1")
    }

    @Test func stalenessNamesTheDifference() throws {
        let change = try samplePlan().changes[0]
        var now = change.observed
        #expect(change.staleness(now: now) == nil)
        now.allowedToDelegateTo.append("cifs/NEW")
        now.allowedToDelegateTo.removeAll { $0 == "http/web01" }
        now.userAccountControl = .workstationTrustAccount
        #expect(change.staleness(now: now) == "msDS-AllowedToDelegateTo gained cifs/NEW; msDS-AllowedToDelegateTo lost http/web01; userAccountControl is 0x1000, was 0x81000")
    }
}
