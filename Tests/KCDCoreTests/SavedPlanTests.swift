import Foundation
import Testing

@testable import KCDCore

func savedSample() throws -> String {
    PlanDocument(
        try samplePlan(),
        .init(
            kcdctlVersion: "9.9", createdAt: Date(timeIntervalSince1970: 1_800_000_000),
            manifestPath: "/etc/kcdctl/m.yaml",
            manifestSHA256: Digest.sha256("manifest"), manifestContent: "manifest", uri: "ldaps://dc01",
            baseDN: "DC=corp,DC=example,DC=com")
    ).encoded()
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
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256(input: String, digest: String) {
        #expect(Digest.sha256(input) == digest)
    }

    @Test func sha256OfAMillionA() {
        #expect(
            Digest.sha256([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func roundTripGivesTheSamePlan() throws {
        let document = try PlanDocument.decode(Array(try savedSample().utf8))
        let plan = try document.plan
        let original = try samplePlan()
        #expect(plan.changes.map(\.host) == original.changes.map(\.host))
        #expect(
            plan.changes[0].add == original.changes[0].add
                && plan.changes[0].remove.map(\.value) == original.changes[0].remove.map(\.value))
        #expect(plan.changes[0].userAccountControl == original.changes[0].userAccountControl)
        #expect(plan.changes[0].observed.allowedToDelegateTo == original.changes[0].observed.allowedToDelegateTo)
        #expect(plan.changes[0].observed.userAccountControl == original.changes[0].observed.userAccountControl)
        #expect(plan.changes[0].clusters == ["a"])
        #expect(document.createdDate == Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test func aHandEditIsRefused() throws {
        let edited = try savedSample().replacingOccurrences(of: "\"cifs/HV09\"\n", with: "\"cifs/HV08\"\n")
        #expect(edited != (try savedSample()))
        #expect(
            decodeError(edited)
                == "the plan was changed after kcdctl wrote it (its sha256 does not match its content); make a new plan"
        )
    }

    @Test func truncatedOrForeignFilesAreRefused() throws {
        let text = try savedSample()
        #expect(decodeError(String(text.prefix(text.count / 2)))?.hasPrefix("not a readable kcdctl plan (") == true)
        #expect(
            decodeError("{}") == "not a readable kcdctl plan (missing changes)"
                || decodeError("{}")?.hasPrefix("not a readable kcdctl plan (missing") == true)
        #expect(
            decodeError(text.replacingOccurrences(of: "\"kcdctl-plan\"", with: "\"terraform\""))
                == "not a kcdctl plan (kind 'terraform')")
        #expect(
            decodeError(text.replacingOccurrences(of: "\"formatVersion\" : 2", with: "\"formatVersion\" : 7"))
                == "plan format version 7; this kcdctl reads version 2: make a new plan")
    }

    @Test func stalenessNamesTheDifference() throws {
        let change = try samplePlan().changes[0]
        var now = change.observed
        #expect(change.staleness(now: now) == nil)
        now.allowedToDelegateTo.append("cifs/NEW")
        now.allowedToDelegateTo.removeAll { $0 == "http/web01" }
        now.userAccountControl = .workstationTrustAccount
        #expect(
            change.staleness(now: now)
                == "msDS-AllowedToDelegateTo gained cifs/NEW; msDS-AllowedToDelegateTo lost http/web01; userAccountControl is 0x1000, was 0x81000"
        )
    }
}

/// Issue 9, findings 1 and 10: what a saved plan may be. Byte for byte what kcdctl writes (nothing outside
/// the checksum), integers in range, not from the future, and signed when asked.
@Suite struct SavedPlanHardening {
    @Test func anUnknownKeyOutsideTheChecksumIsRefused() throws {
        let text = try savedSample()
        let padded = text.replacingOccurrences(
            of: "{\n  \"changes\"",
            with: "{\n  \"attacker\" : \"\(String(repeating: "A", count: 1000))\",\n  \"changes\"")
        #expect(padded != text)
        #expect(
            decodeError(padded)?.contains("it is not byte for byte what kcdctl writes") == true,
            "\(decodeError(padded) ?? "accepted")")
        #expect(decodeError(text.replacingOccurrences(of: "\n", with: "\r\n"))?.contains("not byte for byte") == true)
    }

    @Test func aResealedPlanWithAnOutOfRangeUserAccountControlIsRefused() throws {
        var document = try PlanDocument.decode(Array(try savedSample().utf8))
        document.changes[0].userAccountControl?.to = 0x1_0108_1000
        document.sha256 = PlanDocument.checksum(of: document)
        #expect(
            decodeError(document.encoded())
                == "host 'HV01': userAccountControl.to 4312272896 is not a 32-bit userAccountControl")
    }

    @Test func aManifestThatDoesNotMatchItsChecksumIsRefused() throws {
        var document = try PlanDocument.decode(Array(try savedSample().utf8))
        document.manifest.content = "version: 1\n"
        document.sha256 = PlanDocument.checksum(of: document)
        #expect(
            decodeError(document.encoded()) == "the manifest inside the plan does not match its sha256; make a new plan"
        )
    }

    @Test func aPlanFromTheFutureOrTooOldIsRefused() throws {
        let document = try PlanDocument.decode(Array(try savedSample().utf8))
        let made = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(throws: Never.self) { try document.checkAge(now: made.addingTimeInterval(60), maxAge: 3600) }
        #expect(throws: Never.self) { try document.checkAge(now: made.addingTimeInterval(-200), maxAge: 3600) }
        #expect(
            throws: PlanDocumentError(
                "it says it was made at 2027-01-15T08:00:00Z, in the future (this machine's clock says 2027-01-15T07:50:00Z): refusing it"
            )
        ) {
            try document.checkAge(now: made.addingTimeInterval(-600), maxAge: 3600)
        }
        #expect(throws: PlanDocumentError("it was made 2 h ago, more than --max-age (60 min): make a new plan")) {
            try document.checkAge(now: made.addingTimeInterval(7300), maxAge: 3600)
        }
    }

    @Test func aSignedPlanVerifiesOnlyWithItsKeyAndOnlyUnchanged() throws {
        let key = PlanSigningKey()
        var document = try PlanDocument.decode(Array(try savedSample().utf8))
        try document.sign(with: key)
        let signed = try PlanDocument.decode(Array(document.encoded().utf8))
        try signed.verifySignature(with: key.verifyingKey)
        #expect(
            signed.signature?.key == key.verifyingKey.fingerprint && signed.signature?.key.hasPrefix("SHA256:") == true)

        #expect(throws: PlanSignatureError.self) { try signed.verifySignature(with: PlanSigningKey().verifyingKey) }
        // Edited and resealed, as an attacker who knows the checksum scheme would: the checksum passes, the signature does not.
        var edited = signed
        edited.changes[0].add.append("ldap/dc01.corp.example.com")
        edited.sha256 = PlanDocument.checksum(of: edited)
        let resealed = try PlanDocument.decode(Array(edited.encoded().utf8))
        #expect(throws: PlanSignatureError.self) { try resealed.verifySignature(with: key.verifyingKey) }
        // Stripped of its signature.
        var stripped = signed
        stripped.signature = nil
        #expect(
            throws: PlanSignatureError(
                "the plan is not signed, and a signature by \(key.verifyingKey.fingerprint) is required")
        ) {
            try PlanDocument.decode(Array(stripped.encoded().utf8)).verifySignature(with: key.verifyingKey)
        }
    }

    @Test func keysRoundTripAsPEMAndOpenSSLFormsAreRead() throws {
        let key = PlanSigningKey()
        #expect(try PlanSigningKey(pem: key.pem).verifyingKey == key.verifyingKey)
        #expect(try PlanVerifyingKey(pem: key.verifyingKey.pem) == key.verifyingKey)
        // `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` (RFC 8410's example key).
        let openssl = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
            -----END PRIVATE KEY-----
            """
        let pub = """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
            -----END PUBLIC KEY-----
            """
        #expect(try PlanSigningKey(pem: openssl).verifyingKey == PlanVerifyingKey(pem: pub))
        #expect(throws: PlanSignatureError.self) { try PlanVerifyingKey(pem: openssl) }
        #expect(throws: PlanSignatureError.self) {
            try PlanSigningKey(
                pem:
                    "-----BEGIN PRIVATE KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PRIVATE KEY-----\n"
            )
        }
    }
}

/// Issue 10 (item 11): the saved-plan acceptance rules, in the core.
@Suite struct SavedPlanAcceptance {
    func sample() throws -> PlanDocument { try PlanDocument.decode(Array(try savedSample().utf8)) }

    @Test func theDirectoryMustBeTheOnePlannedAgainst() throws {
        let d = try sample()
        try d.checkDirectory(uri: "LDAPS://dc01", baseDN: "dc=corp, DC=example,dc=com")
        #expect(
            throws: PlanDocumentError(
                "the plan is for ldaps://dc01 (DC=corp,DC=example,DC=com), not ldaps://dc02 (DC=corp,DC=example,DC=com); nothing was written"
            )
        ) {
            try d.checkDirectory(uri: "ldaps://dc02", baseDN: "DC=corp,DC=example,DC=com")
        }
        #expect(throws: PlanDocumentError.self) {
            try d.checkDirectory(uri: "ldaps://dc01", baseDN: "DC=other,DC=example,DC=com")
        }
    }

    @Test func aManifestGivenWithDashFMustBeTheSameBytes() throws {
        let d = try sample()
        var m = manifest(Cluster(name: "a", mode: .anyProtocol, hosts: ["HV01", "HV02"]))
        m.sha256 = Digest.sha256("manifest")
        try d.checkManifest(m, path: "m.yaml")
        m.sha256 = Digest.sha256("manifest\n")
        #expect(throws: PlanDocumentError.self) { try d.checkManifest(m, path: "m.yaml") }
    }

    @Test func targetsLimitThePlanInAnyCase() throws {
        let d = try sample()
        #expect(try d.plan(limitedTo: nil).changes.map(\.host) == ["HV01"])
        #expect(try d.plan(limitedTo: ["hv01"]).changes.map(\.host) == ["HV01"])
        #expect(try d.plan(limitedTo: ["HV02"]).changes.isEmpty)
    }
}
