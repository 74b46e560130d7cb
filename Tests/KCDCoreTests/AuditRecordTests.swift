import Foundation
import Testing

@testable import KCDCore

/// A directory's refusal with a result code, as LDAP's insufficientAccessRights.
struct RefusedByDirectory: DirectoryResultError, CustomStringConvertible {
    var resultCode: Int32 { 50 }
    var resultName: String { "insufficientAccessRights" }
    var description: String { "LDAP modify CN=HV01: 50 insufficientAccessRights (access denied)" }
}

/// The audit trail is a format operators parse (docs/change-review.md): its exact bytes are pinned by
/// Golden/audit-records.jsonl. KCDCTL_UPDATE_GOLDEN=1 rewrites it after a deliberate change; review the diff.
@Suite struct AuditRecords {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/audit-records.jsonl").path

    static func events() throws -> [ApplyEvent] {
        let first = try samplePlan().changes[0]
        let second = try #require(change(try plan(pair(), [computer("HV01"), computer("HV02")]), "HV02"))
        let violation = InvariantViolation(
            host: second.host, operation: "add msDS-AllowedToDelegateTo 'ldap/dc01'",
            reason: "not declared by the manifest")
        return [
            .intent(first), .applied(first, done: 1, of: 2, confirmedByReread: false),
            .intent(first), .applied(first, done: 1, of: 2, confirmedByReread: true),
            .intent(second), .failed(second, RefusedByDirectory()),
            .failed(second, ChangedMeanwhile(host: second.host, detail: "not a directory result")),
            .intent(second), .unknown(second, "no answer; reading it back failed"),
            .stale(second, "msDS-AllowedToDelegateTo gained cifs/NEW"),
            .refused(second, violation),
            .alreadyApplied(first),
        ]
    }

    @Test func recordsMatchTheirGoldenFile() throws {
        let context = AuditRecord.Context(
            identity: "u:CORP\\svc-kcd", boundAs: "svc-kcd@corp.example.com",
            directory: "ldaps://dc01.corp.example.com",
            baseDN: "DC=corp,DC=example,DC=com", manifestSHA256: Digest.sha256("manifest"),
            planSHA256: Digest.sha256("plan"), kcdctlVersion: "0.2.0")
        let time = Date(timeIntervalSince1970: 1_795_622_822)
        let lines = try Self.events().map {
            String(
                decoding: try JSONOutput.encode(AuditRecord($0, context: context, time: time), pretty: false),
                as: UTF8.self)
        }
        let output = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["KCDCTL_UPDATE_GOLDEN"] == "1" {
            try output.write(toFile: Self.golden, atomically: false, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: Self.golden, encoding: .utf8)
        #expect(
            output == golden,
            "audit records differ from Golden/audit-records.jsonl (KCDCTL_UPDATE_GOLDEN=1 rewrites it)")
    }

    @Test func theLogAppendsOneLinePerRecordToARegularFileOnly() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/audit.jsonl"
            let context = AuditRecord.Context(
                identity: "i", boundAs: "b", directory: "ldaps://dc", baseDN: "DC=x",
                manifestSHA256: "m", planSHA256: "p")
            let trail = AuditTrail(log: try AuditLog(path: path), context: context)
            for event in try Self.events().prefix(2) { try trail.record(event, at: Date(timeIntervalSince1970: 0)) }
            let lines = try #require(contents(path)).split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("{\"baseDN\":\"DC=x\",") })
            #expect(lines[1].contains("\"code\":0,\"codeName\":\"success\""))
            #expect(
                failure(try AuditLog(path: folder))
                    == "audit log \(folder) is a directory, not a regular file: refusing to write to it")
        }
    }

    /// write(2) may write less than asked (a file size limit reached, a signal); every byte still goes out, in
    /// order. A regular file or pipe on Linux hardly ever shows it on demand, so the system call is replaced by
    /// one that takes at most 3 bytes and is interrupted (EINTR) every other time.
    @Test func shortAndInterruptedWritesAreContinued() throws {
        let bytes = Array("{\"result\":\"intent\"}\n".utf8)
        var written: [UInt8] = []
        var calls = 0
        let failure = writeAll(7, bytes) { fd, pointer, count in
            calls += 1
            #expect(fd == 7)
            if calls % 2 == 0 {
                errno = EINTR
                return -1
            }
            let n = min(count, 3)
            written += UnsafeRawBufferPointer(start: pointer, count: n)
            return n
        }
        #expect(failure == nil && written == bytes && calls > 2 * (bytes.count / 3))
        #expect(writeAll(7, bytes) { _, _, _ in 0 } == EIO, "a write that makes no progress is an error, not a loop")
        #expect(
            writeAll(7, bytes) { _, _, count in
                errno = EFBIG
                return count > 10 ? 10 : -1
            } == EFBIG, "a limit reached after a short write is its error")
    }
}
