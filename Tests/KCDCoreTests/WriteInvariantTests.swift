import Foundation
import Testing

@testable import KCDCore

/// HV01 and HV02 in one any-protocol cluster (cifs, short names), HV01 with a stray managed value and a
/// foreign one, HV02 without protocol transition; DC01 is a domain controller the manifest does not name.
private func estate() -> (Manifest, [ObservedComputer]) {
    (
        pair(),
        [
            computer("HV01", uac: workstation, values: ["cifs/OLD", "http/keep"]),
            computer("HV02", uac: workstation, values: ["cifs/HV01"]),
            computer("DC01", uac: [.serverTrustAccount, .trustedForDelegation]),
        ]
    )
}

private func violation(_ change: (inout HostChange) -> Void) throws -> InvariantViolation? {
    let (m, observed) = estate()
    var p = try plan(m, observed)
    change(&p.changes[0])
    do {
        try WriteInvariant(manifest: m, domain: "corp.example.com", observed: observed).check(p)
        return nil
    } catch let v as InvariantViolation {
        return v
    }
}

/// Issue 9, finding 1: an edited saved plan was applied as written. Whatever produced it, a plan that leaves
/// the manifest's declared state is refused whole, naming the host and the operation.
@Suite struct WriteInvariantChecks {
    @Test func theReconcilersPlanIsAccepted() throws {
        #expect(try violation { _ in } == nil)
    }

    @Test func aHostOutsideTheManifest() throws {
        let v = try violation {
            $0.host = "DC01"
            $0.dn = "CN=DC01,CN=Computers,DC=corp,DC=example,DC=com"
        }
        #expect(
            v?.description
                == "refusing the plan: 'DC01': write: 'DC01' is not a host of the manifest; nothing was written")
    }

    @Test(arguments: ["ldap/dc01.corp.example.com", "krbtgt/CORP.EXAMPLE.COM", "cifs/DC01", "cifs/HV0\u{212A}"])
    func aValueTheManifestDoesNotDeclare(value: String) throws {
        let v = try violation { $0.add.append(SPN(value)) }
        #expect(v?.host == "HV01")
        #expect(v?.operation == "add msDS-AllowedToDelegateTo \(Printable.quoted(value, limit: 200))")
        #expect(v?.reason == "the manifest does not declare it for HV01")
    }

    @Test func removingAForeignOrDeclaredValue() throws {
        #expect(
            try violation { $0.remove.append(SPN("http/keep")) }?.reason
                == "its service class is not one the host's clusters manage with prune: managed")
        #expect(try violation { $0.remove.append(SPN("cifs/HV02")) }?.reason == "the manifest declares it")
        #expect(try violation { $0.remove.append(SPN("\u{212A}erberos/x")) } != nil)
    }

    @Test func removingUnderPruneNone() throws {
        let m = pair(prune: .none)
        let observed = estate().1
        var p = try plan(m, observed)
        #expect(p.changes[0].remove.isEmpty, "prune: none plans no removal")
        p.changes[0].remove = [SPN("cifs/OLD")]
        #expect(throws: InvariantViolation.self) {
            try WriteInvariant(manifest: m, domain: "corp.example.com", observed: observed).check(p)
        }
    }

    @Test(arguments: [
        (UserAccountControl.trustedForDelegation, "set"), (.accountDisable, "set"), (.workstationTrustAccount, "clear"),
        (.trustedToAuthForDelegation, "clear"), (.dontRequirePreauth, "set"),
    ])
    func userAccountControlOnlyByTheDelegationBitsTowardTheMode(bit: UserAccountControl, action: String) throws {
        let v = try violation { change in
            var uac = change.userAccountControl!
            if action == "set" { uac.to.insert(bit) } else { uac.to.remove(bit) }
            change.userAccountControl = uac
        }
        #expect(
            v?.reason.hasPrefix("only the delegation bits may change, toward mode any-protocol") == true,
            "\(String(describing: v))")
    }

    @Test func userAccountControlFromWhatWasRead() throws {
        let v = try violation {
            $0.userAccountControl = .init(
                from: [workstation, .accountDisable], to: [workstation, .accountDisable, .trustedToAuthForDelegation])
        }
        #expect(v?.reason == "HV01 has 0x1000 as read in this run")
    }

    @Test func anotherDN() throws {
        let v = try violation { $0.dn = "CN=krbtgt,CN=Users,DC=corp,DC=example,DC=com" }
        #expect(
            v?.reason
                == "the computer object HV01$ read in this run is 'CN=HV01,CN=Computers,DC=corp,DC=example,DC=com'")
    }

    @Test func aHostTwice() throws {
        let (m, observed) = estate()
        var p = try plan(m, observed)
        p.changes.append(p.changes[0])
        #expect(
            throws: InvariantViolation(host: "HV01", operation: "write", reason: "the host appears twice in the plan")
        ) {
            try WriteInvariant(manifest: m, domain: "corp.example.com", observed: observed).check(p)
        }
    }
}

/// `Reconciliation.apply` through a directory in memory: the guard before any write, honest outcomes, the
/// audit trail ahead of every request, and stopping on request.
@Suite struct ApplyingThroughTheGuard {
    func setup() throws -> (Reconciliation, MemoryDirectory, Plan) {
        let (m, observed) = estate()
        let directory = MemoryDirectory(observed)
        let r = Reconciliation(manifest: m, domain: "corp.example.com", directory: directory)
        return (r, directory, try r.plan())
    }

    @Test func anEditedPlanIsRefusedBeforeAnyWriteAndAudited() throws {
        var (r, directory, p) = try setup()
        p.changes[1].add.append(SPN("ldap/dc01.corp.example.com"))
        var records: [String] = []
        #expect(throws: InvariantViolation.self) {
            _ = try r.apply(
                p, record: { event in if case let .refused(c, _) = event { records.append("refused \(c.host)") } })
        }
        #expect(directory.writes.isEmpty, "not even the first, valid host was written")
        #expect(records == ["refused HV02"])
    }

    @Test func everyRequestIsAnnouncedBeforeItIsSent() throws {
        let (r, directory, p) = try setup()
        var log: [String] = []
        let report = try r.apply(
            p,
            record: { event in
                switch event {
                case let .intent(c): log.append("intent \(c.host) after \(directory.writes.count) writes")
                case let .applied(c, _, _, _): log.append("applied \(c.host)")
                default: log.append("other")
                }
            })
        #expect(report.isComplete)
        #expect(log == ["intent HV01 after 0 writes", "applied HV01", "intent HV02 after 1 writes", "applied HV02"])
    }

    @Test func anAuditTrailThatCannotBeWrittenStopsBeforeTheRequest() throws {
        let (r, directory, p) = try setup()
        struct Full: Error {}
        var intents = 0
        let report = try r.apply(
            p,
            record: { event in
                if case .intent = event {
                    intents += 1
                    if intents == 2 { throw Full() }
                }
            })
        #expect(directory.writes.map(\.host) == ["HV01"], "HV02's request was never sent")
        #expect(report.auditFailure is Full && !report.isComplete)
        #expect(report.notAttempted.map(\.host) == ["HV02"])
    }

    @Test func aFailingOutcomeRecordStopsBeforeTheNextHost() throws {
        let (r, directory, p) = try setup()
        struct Full: Error {}
        let report = try r.apply(p, record: { event in if case .applied = event { throw Full() } })
        #expect(directory.writes.map(\.host) == ["HV01"])
        #expect(
            report.applied.map(\.host) == ["HV01"] && report.notAttempted.map(\.host) == ["HV02"]
                && report.auditFailure != nil)
    }

    @Test func aLostAnswerIsReadBackAndReportedAsWhatTheDirectoryHolds() throws {
        let (r, directory, p) = try setup()
        directory.loseAnswer = ["hv01"]
        var events: [String] = []
        let report = try r.apply(
            p,
            record: { event in
                if case let .applied(c, _, _, confirmed) = event { events.append("\(c.host) \(confirmed)") }
            })
        #expect(report.isComplete, "the re-read shows HV01 applied; HV02 goes on over the new connection")
        #expect(report.answersLost == ["HV01"] && events == ["HV01 true", "HV02 false"])
    }

    @Test func aLostRequestIsReportedAsNothingWritten() throws {
        let (r, directory, p) = try setup()
        directory.loseRequest = ["hv01"]
        let report = try r.apply(p)
        #expect(report.failure?.change.host == "HV01" && report.unknown.isEmpty && report.applied.isEmpty)
        #expect(directory.writes.isEmpty)
    }

    @Test func noConnectionAfterALostAnswerLeavesTheOutcomeUnknown() throws {
        let (r, directory, p) = try setup()
        directory.loseAnswer = ["hv01"]
        directory.reconnectFails = true
        var events: [String] = []
        let report = try r.apply(p, record: { event in if case let .unknown(c, _) = event { events.append(c.host) } })
        #expect(report.unknown.map(\.change.host) == ["HV01"] && report.failure == nil && report.applied.isEmpty)
        #expect(report.notAttempted.map(\.host) == ["HV02"] && events == ["HV01"])
        #expect(report.hostsToPurge == ["HV01"], "it may have changed")
    }

    @Test func aStopRequestEndsBetweenHosts() throws {
        let (r, directory, p) = try setup()
        let report = try r.apply(p, shouldStop: { directory.writes.count == 1 })
        #expect(
            report.interrupted && report.applied.map(\.host) == ["HV01"] && report.notAttempted.map(\.host) == ["HV02"])
    }

    /// Issue 10: a staged rollout of a saved plan resumes; a host holding the plan's result is done, not stale.
    @Test func aSavedPlanResumesAfterAPartialApply() throws {
        let (r, directory, p) = try setup()
        var first = p
        first.changes.removeAll { $0.host != "HV01" }
        #expect(try r.apply(first).applied.map(\.host) == ["HV01"])
        var events: [String] = []
        let report = try r.apply(
            p, record: { event in if case let .alreadyApplied(c) = event { events.append(c.host) } })
        #expect(report.isComplete && report.stale.isEmpty)
        #expect(
            report.alreadyApplied.map(\.host) == ["HV01"] && report.applied.map(\.host) == ["HV02"]
                && events == ["HV01"])
        #expect(directory.writes.map(\.host) == ["HV01", "HV02"], "HV01 was not written twice")
        // Anything else on HV01 than the plan's result is still stale.
        directory.objects["hv01"]!.allowedToDelegateTo.append("cifs/ELSEWHERE")
        #expect(try r.apply(p).stale.map(\.change.host) == ["HV01"])
    }

    /// Issue 10: a host dropped from the manifest keeps its own delegation; the plan says so, with the count.
    @Test func aHostDroppedFromTheManifestIsNamedWithWhatItKeeps() throws {
        let (m, observed) = estate()
        let former = computer(
            "HV09", uac: rightUAC, values: ["cifs/HV01", "cifs/hv01.corp.example.com", "cifs/HV02", "http/web01"])
        let r = Reconciliation(manifest: m, domain: "corp.example.com", directory: MemoryDirectory(observed + [former]))
        let warning = try r.plan().warnings.first { $0.subject == "HV09" }
        #expect(
            warning?.message.hasPrefix(
                "not a host of the manifest, but its msDS-AllowedToDelegateTo still names the manifest's hosts (3 of its 4 values)"
            ) == true, "\(String(describing: warning))")
        #expect(try r.plan().warnings.allSatisfy { $0.subject != "HV01" && $0.subject != "DC01" })
    }
}
