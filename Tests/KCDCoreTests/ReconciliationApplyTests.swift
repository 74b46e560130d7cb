import Testing

@testable import KCDCore

/// HV01, HV02 and HV03 in one any-protocol cluster (cifs, short names), nothing delegated yet: each host's
/// change adds its two peers and sets protocol transition.
private func trio() throws -> (Reconciliation, MemoryDirectory, Plan) {
    let m = manifest(
        Cluster(
            name: "a", mode: .anyProtocol, services: ["cifs"], nameForms: [.short],
            hosts: ["HV01", "HV02", "HV03"]))
    let directory = MemoryDirectory(["HV01", "HV02", "HV03"].map { computer($0) })
    let r = Reconciliation(manifest: m, domain: "corp.example.com", directory: directory)
    return (r, directory, try r.plan())
}

/// The events of a run, one short line each, in order.
private final class Events {
    var lines: [String] = []

    func record(_ event: ApplyEvent) {
        switch event {
        case let .intent(c): lines.append("intent \(c.host)")
        case let .applied(c, _, _, _): lines.append("applied \(c.host)")
        case let .stale(c, difference): lines.append("stale \(c.host): \(difference)")
        case let .failed(c, _): lines.append("failed \(c.host)")
        case let .unknown(c, _): lines.append("unknown \(c.host)")
        case let .refused(c, _): lines.append("refused \(c.host)")
        case let .alreadyApplied(c): lines.append("already applied \(c.host)")
        }
    }
}

private struct Denied: Error {}

/// Every branch of `Reconciliation.apply` through the directory in memory: what is written, what each host is
/// reported as, and what the audit trail is told.
@Suite struct ReconciliationApply {
    @Test func aHostChangedSinceThePlanStopsEveryWrite() throws {
        let (r, directory, p) = try trio()
        directory.objects["hv02"]!.allowedToDelegateTo.append("cifs/ROGUE")
        let events = Events()
        let report = try r.apply(p, record: events.record)
        #expect(directory.writes.isEmpty, "nothing is written to any host, not even the first")
        #expect(report.stale.map(\.change.host) == ["HV02"])
        #expect(report.stale.first?.difference == "msDS-AllowedToDelegateTo gained cifs/ROGUE")
        #expect(report.notAttempted.map(\.host) == ["HV01", "HV03"])
        #expect(report.applied.isEmpty && !report.isComplete && report.hostsToPurge.isEmpty)
        #expect(events.lines == ["stale HV02: msDS-AllowedToDelegateTo gained cifs/ROGUE"])
    }

    @Test func aStaleUserAccountControlIsNamedWithBothValues() throws {
        let (r, directory, p) = try trio()
        directory.objects["hv03"]!.userAccountControl.insert(.accountDisable)
        let report = try r.apply(p)
        #expect(report.stale.first?.difference == "userAccountControl is 0x1002, was 0x1000")
        #expect(report.notAttempted.map(\.host) == ["HV01", "HV02"] && directory.writes.isEmpty)
    }

    /// A host deleted since the plan has no object read in this run: the write guard refuses the whole plan
    /// before the staleness pass, and the audit trail is told which host.
    @Test func aHostDeletedSinceThePlanIsRefusedWhole() throws {
        let (r, directory, p) = try trio()
        directory.objects["hv02"] = nil
        let events = Events()
        #expect(
            throws: InvariantViolation(
                host: "HV02", operation: "write",
                reason: "no computer object HV02$ was read in this run")
        ) {
            _ = try r.apply(p, record: events.record)
        }
        #expect(directory.writes.isEmpty)
        #expect(events.lines == ["refused HV02"])
    }

    @Test func aHostChangedWhileApplyingIsStaleAndTheRestNotAttempted() throws {
        let (r, directory, p) = try trio()
        let events = Events()
        let report = try r.apply(
            p,
            record: { event in
                events.record(event)
                // Someone else delegates HV02 to HV01 between HV01's request and HV02's.
                if case let .applied(c, _, _, _) = event, c.host == "HV01" {
                    directory.objects["hv02"]!.allowedToDelegateTo.append("cifs/HV01")
                }
            })
        #expect(directory.writes.map(\.host) == ["HV01"])
        #expect(report.applied.map(\.host) == ["HV01"])
        #expect(report.stale.map(\.change.host) == ["HV02"])
        #expect(report.stale.first?.difference == "changed since the plan was made (16/20)")
        #expect(report.notAttempted.map(\.host) == ["HV03"])
        #expect(report.failure == nil && report.unknown.isEmpty && !report.isComplete)
        #expect(report.hostsToPurge == ["HV01"])
        #expect(
            events.lines == [
                "intent HV01", "applied HV01", "intent HV02", "stale HV02: changed since the plan was made (16/20)",
            ])
    }

    @Test func aDirectoryFailureStopsAtThatHost() throws {
        let (r, directory, p) = try trio()
        directory.refuse["hv02"] = Denied()
        let events = Events()
        let report = try r.apply(p, record: events.record)
        #expect(directory.writes.map(\.host) == ["HV01"])
        #expect(report.applied.map(\.host) == ["HV01"])
        #expect(report.failure?.change.host == "HV02" && report.failure?.error is Denied)
        #expect(report.notAttempted.map(\.host) == ["HV03"])
        #expect(report.stale.isEmpty && report.unknown.isEmpty && !report.isComplete)
        #expect(report.hostsToPurge == ["HV01"], "the failed host was not changed")
        #expect(events.lines == ["intent HV01", "applied HV01", "intent HV02", "failed HV02"])
    }

    /// The read the plan was computed from moments ago is the read of this run: the directory is not read
    /// again and no staleness pass runs (the value-level operations still guard each write).
    @Test func aReadInThisRunIsNotRepeated() throws {
        let (r, directory, _) = try trio()
        let snapshot = try r.read()
        let p = try r.plan(snapshot)
        let reads = directory.computerReads
        directory.objects["hv02"]!.allowedToDelegateTo.append("cifs/ROGUE")
        let report = try r.apply(p, readInThisRun: snapshot)
        #expect(directory.computerReads == reads, "apply read the directory again")
        #expect(report.isComplete && report.stale.isEmpty)
        #expect(report.applied.map(\.host) == ["HV01", "HV02", "HV03"])
        // Without it, apply reads once and finds HV02 changed.
        #expect(try r.apply(p).stale.map(\.change.host) == ["HV02"])
        #expect(directory.computerReads == reads + 1)
    }

    /// The values a plan writes are checked after the staleness pass: hosts already applied are set aside
    /// first, and a plan with a stale host is reported stale (nothing written) rather than checked further.
    @Test func theValueCheckComesAfterTheStalenessPass() throws {
        let (r, directory, p) = try trio()
        var first = p
        first.changes.removeAll { $0.host != "HV01" }
        _ = try r.apply(first)
        var edited = p
        edited.changes[1].add.append(SPN("ldap/dc01.corp.example.com"))
        let events = Events()
        #expect(throws: InvariantViolation.self) { _ = try r.apply(edited, record: events.record) }
        #expect(events.lines == ["already applied HV01", "refused HV02"])
        #expect(directory.writes.map(\.host) == ["HV01"], "only the earlier run wrote")

        directory.objects["hv03"]!.allowedToDelegateTo.append("cifs/ROGUE")
        let report = try r.apply(edited)
        #expect(report.stale.map(\.change.host) == ["HV03"] && directory.writes.map(\.host) == ["HV01"])
    }

    @Test func alreadyAppliedAndStaleHostsTogether() throws {
        let (r, directory, p) = try trio()
        var first = p
        first.changes.removeAll { $0.host != "HV01" }
        _ = try r.apply(first)
        directory.objects["hv03"]!.allowedToDelegateTo.append("cifs/ROGUE")
        let events = Events()
        let report = try r.apply(p, record: events.record)
        #expect(report.alreadyApplied.map(\.host) == ["HV01"])
        #expect(report.stale.map(\.change.host) == ["HV03"])
        #expect(report.notAttempted.map(\.host) == ["HV02"], "neither done nor stale")
        #expect(report.applied.isEmpty && directory.writes.map(\.host) == ["HV01"])
        #expect(events.lines == ["already applied HV01", "stale HV03: msDS-AllowedToDelegateTo gained cifs/ROGUE"])
    }

    @Test func aCompleteRunAppliesEveryHostInPlanOrder() throws {
        let (r, directory, p) = try trio()
        let events = Events()
        let report = try r.apply(p, record: events.record)
        #expect(report.isComplete && report.notAttempted.isEmpty)
        #expect(directory.writes.map(\.host) == ["HV01", "HV02", "HV03"])
        #expect(report.hostsToPurge == ["HV01", "HV02", "HV03"])
        #expect(
            events.lines == [
                "intent HV01", "applied HV01", "intent HV02", "applied HV02", "intent HV03", "applied HV03",
            ])
        #expect(try r.plan().isEmpty, "converged")
    }
}
