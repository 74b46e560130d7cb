import Foundation
import Testing

@testable import KCDCore

// Property tests of the pure core (issue 9): random manifests and random directories, each property over
// the same 1,000 generated cases (generated, planned and applied in memory once per test process, on every
// core; the properties then check). The seed is KCDCTL_PROPERTY_SEED when set (to replay a failure), else
// the clock; a failure names the seed, the case index and the command that replays it, and prints the case.
// KCDCTL_PROPERTY_CASE=N runs only case N of that seed; KCDCTL_PROPERTY_VERBOSE=1 prints what each property saw.
//
// Everything here is checked against a reference model written from docs/manifest.md (`PropModel`), not
// against the code's own DesiredState, so that an expansion bug cannot hide a reconciler bug.

// MARK: - A seeded generator

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same numbers on every platform and toolchain.
struct PropRNG: Sendable {
    private(set) var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform enough in a small range (the modulo bias is below 2^-50 here).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) / Double(UInt64(1) << 53) < p
    }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// 1 + an index drawn with these weights: small cases are cheap, large ones still come.
    mutating func weighted(_ weights: [Int]) -> Int {
        var r = int(0...(weights.reduce(0, +) - 1))
        for (i, w) in weights.enumerated() {
            if r < w { return i + 1 }
            r -= w
        }
        return weights.count
    }

    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var a = items
        if a.count < 2 { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(0...i)) }
        return a
    }

    mutating func sample<T>(_ items: [T], _ count: Int) -> [T] { Array(shuffled(items).prefix(count)) }

    /// Each ASCII letter flipped to the other case with probability 1/2.
    mutating func randomCase(_ s: String) -> String {
        String(
            decoding: s.utf8.map { byte -> UInt8 in
                let letter = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                return letter && chance(0.5) ? byte ^ 0x20 : byte
            }, as: UTF8.self)
    }
}

// MARK: - Running a property

enum Prop {
    static let domain = "corp.example.com"
    static let cases = 1_000
    static let mvsms = "Microsoft Virtual System Migration Service"
    static let mappings = SPNMappings(values: ["host=alerter,cifs,http"])

    /// One seed per test process: the environment's when set, else the clock's.
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["KCDCTL_PROPERTY_SEED"], let seed = parse(text) {
            return seed
        }
        return UInt64(Date().timeIntervalSince1970 * 1_000_000)
    }()
    static let onlyCase: Int? = ProcessInfo.processInfo.environment["KCDCTL_PROPERTY_CASE"].flatMap { Int($0) }

    static func parse(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        return t.lowercased().hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
    }

    /// The generator of case `index`: the seed and the index mixed, so that each case is replayable alone.
    static func rng(_ index: Int) -> PropRNG {
        var mix = PropRNG(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        return PropRNG(seed: mix.next())
    }

    struct Failure: Error, CustomStringConvertible, Sendable {
        let description: String
    }

    static func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
        if !ok { throw Failure(description: message()) }
    }

    static func unwrap<T>(_ value: T?, _ message: @autoclosure () -> String) throws -> T {
        guard let value else { throw Failure(description: message()) }
        return value
    }

    /// What a property saw, counted by name: a property that stopped exercising what it is about fails.
    struct Coverage {
        var counts: [String: Int] = [:]
        mutating func saw(_ what: String, _ n: Int = 1) { counts[what, default: 0] += n }
    }

    /// One generated case, and what planning and applying it in memory gave: computed once per test process
    /// (on every core) and shared by the properties, which then only check.
    struct Entry: Sendable {
        var index: Int
        var c: PropCase
        /// The generator after the case was drawn, for properties that draw more (mutations).
        var rng: PropRNG
        /// `Reconciler.plan` on every computer generated (the manifest's accounts and unrelated ones).
        var plan: Result<Plan, Failure>
        var applied: Result<Applied, Failure>
    }

    static let corpus: [Entry] = {
        let indices = onlyCase.map { [$0] } ?? Array(0..<cases)
        final class Slots: @unchecked Sendable {
            let lock = NSLock()
            var entries: [Entry?]
            init(_ n: Int) { entries = Array(repeating: nil, count: n) }
        }
        let slots = Slots(indices.count)
        DispatchQueue.concurrentPerform(iterations: indices.count) { k in
            var rng = rng(indices[k])
            let c = PropCase.generate(&rng)
            func result<T>(_ f: () throws -> T) -> Result<T, Failure> {
                do { return .success(try f()) } catch let failure as Failure { return .failure(failure) } catch {
                    return .failure(Failure(description: "\(type(of: error)): \(error)"))
                }
            }
            let plan = result { try Prop.plan(c) }
            let entry = Entry(
                index: indices[k], c: c, rng: rng, plan: plan, applied: result { try Prop.applyInMemory(c, plan.get()) }
            )
            slots.lock.withLock { slots.entries[k] = entry }
        }
        return slots.entries.map { $0! }
    }()

    /// Runs `body` on every case of the corpus; stops at the first failing case and records it with the seed,
    /// the case index, the case itself and the command that replays it.
    static func forAll(
        _ function: String = #function, atLeast minimum: [String: Int] = [:],
        sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ body: (Entry, inout PropRNG, inout Coverage) throws -> Void
    ) {
        let name = function.hasSuffix("()") ? String(function.dropLast(2)) : function
        var coverage = Coverage()
        for entry in corpus {
            let (index, c) = (entry.index, entry.c)
            var rng = entry.rng
            do {
                try body(entry, &rng, &coverage)
            } catch {
                let message = """
                    property \(name) failed at case \(index) of \(cases), seed \(seed): \(error)
                    replay: KCDCTL_PROPERTY_SEED=\(seed) swift test --filter 'Properties/\(name)'   \
                    (add KCDCTL_PROPERTY_CASE=\(index) to run only this case)
                    the case:
                    \(c)
                    """
                Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
                return
            }
        }
        guard onlyCase == nil else { return }
        if ProcessInfo.processInfo.environment["KCDCTL_PROPERTY_VERBOSE"] != nil {
            print(
                "property \(name): \(corpus.count) cases, seed \(seed); \(coverage.counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))"
            )
        }
        for (what, least) in minimum.sorted(by: { $0.key < $1.key }) where coverage.counts[what, default: 0] < least {
            Issue.record(
                Comment(
                    rawValue:
                        "property \(name) (seed \(seed)): only \(coverage.counts[what, default: 0]) × '\(what)' in \(cases) cases, expected at least \(least): the generator no longer exercises it. Seen: \(coverage.counts.sorted { $0.key < $1.key })"
                ),
                sourceLocation: sourceLocation)
        }
    }
}

// MARK: - The reference model (docs/manifest.md, "What it means")

/// What each managed host's delegation must be, computed naively from the documented rules.
struct PropModel: Sendable {
    struct Host: Sendable {
        var name: String
        var mode: DelegationMode
        var clusters: [String]
        /// Desired targets: key (lowercased) → the spelling the manifest declares (the first one met).
        var targets: [String: String] = [:]
        /// Service classes (lowercased) that a prune: managed cluster of the host manages.
        var managed: Set<String> = []
        /// Service classes of the host's prune: none clusters (their services, cifs with storage).
        var noneClasses: Set<String> = []
        var inManagedCluster = false
        var inNoneCluster = false
    }

    /// In manifest order, one per host (compared case-insensitively), first spelling.
    var hosts: [Host] = []
    var index: [String: Int] = [:]

    func host(_ name: String) -> Host? { index[name.lowercased()].map { hosts[$0] } }

    /// The service class of a value as the documentation means it: before the first '/', compared
    /// case-insensitively; a class that is not ASCII is nobody's class.
    static func serviceClass(_ value: String) -> String? {
        let utf8 = value.utf8
        let cls = utf8[..<(utf8.firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex)]
        return cls.allSatisfy { $0 < 0x80 } ? String(Substring(cls)).lowercased() : nil
    }

    /// Whether `value` is one prune: managed may remove from `host` (when the manifest does not declare it).
    func isManaged(_ value: String, by host: Host) -> Bool {
        Self.serviceClass(value).map(host.managed.contains) ?? false
    }

    func isDesired(_ value: String, by host: Host) -> Bool { host.targets[value.lowercased()] != nil }

    /// The userAccountControl the mode requires: unconstrained delegation cleared, protocol transition
    /// set for any-protocol and cleared for kerberos-only, every other bit as it is.
    static func required(_ uac: UserAccountControl, _ mode: DelegationMode) -> UserAccountControl {
        let raw = uac.rawValue & ~UInt32(0x80000)
        return UserAccountControl(rawValue: mode == .anyProtocol ? raw | 0x100_0000 : raw & ~UInt32(0x100_0000))
    }

    init(_ manifest: Manifest, domain: String, dnsHostName: [String: String]) {
        for cluster in manifest.clusters {
            func fqdn(_ account: String) -> String { dnsHostName[account.lowercased()] ?? "\(account).\(domain)" }
            func name(_ account: String, _ form: NameForm) -> String { form == .short ? account : fqdn(account) }
            let members = Set(cluster.hosts.map { $0.lowercased() })
            // Every SPN of the cluster once (as AD compares them), with the member it belongs to, if any.
            var spns: [(key: String, spelling: String, owner: String?)] = []
            var seen = Set<String>()
            func add(_ spelling: String, owner: String?) {
                if seen.insert(spelling.lowercased()).inserted { spns.append((spelling.lowercased(), spelling, owner)) }
            }
            for peer in cluster.hosts {
                for service in cluster.services {
                    for form in cluster.nameForms { add("\(service)/\(name(peer, form))", owner: peer.lowercased()) }
                }
            }
            for server in cluster.smbStorage {
                let owner = members.contains(server.lowercased()) ? server.lowercased() : nil
                for form in [NameForm.short, .fqdn] { add("cifs/\(name(server, form))", owner: owner) }
            }
            // An extraTargets value is nobody's SPN, even one naming a member (`http/HV05` in HV05's cluster): the
            // documentation says both "plus every extraTargets value" and "a host never delegates to itself";
            // DesiredState keeps it for HV05 too, unless the cluster generates that SPN itself. So does this model.
            for extra in cluster.extraTargets { add(extra.value, owner: nil) }

            var classes = Set(cluster.services.map { $0.lowercased() })
            if !cluster.smbStorage.isEmpty { classes.insert("cifs") }
            for member in cluster.hosts {
                let key = member.lowercased()
                if index[key] == nil {
                    index[key] = hosts.count
                    hosts.append(Host(name: member, mode: cluster.mode, clusters: []))
                }
                var host = hosts[index[key]!]
                host.clusters.append(cluster.name)
                // Never to itself: not to an SPN of its own account.
                for spn in spns where spn.owner != key && host.targets[spn.key] == nil {
                    host.targets[spn.key] = spn.spelling
                }
                if cluster.prune == .managed {
                    host.managed.formUnion(classes)
                    host.inManagedCluster = true
                } else {
                    host.noneClasses.formUnion(classes)
                    host.inNoneCluster = true
                }
                hosts[index[key]!] = host
            }
        }
    }
}

// MARK: - Random cases

struct PropCase: CustomStringConvertible, Sendable {
    var manifest: Manifest
    /// The manifest's accounts (every host; storage servers mostly) and sometimes unrelated computers.
    var observed: [ObservedComputer]
    var model: PropModel

    static let pool = (1...12).map { $0 < 10 ? "HV0\($0)" : "HV\($0)" }
    static let services = [Prop.mvsms, "cifs", "http", "HOST"]
    static let extraPool = [
        "http/web01.corp.example.com", "MSSQLSvc/db01.corp.example.com:1433", "HTTP/Web02",
        "cifs/NAS01.corp.example.com",
        "HOST/hv07.corp.example.com", "http/HV05", "cifs/hv03",
    ]
    /// Values of classes no generated cluster manages, a Kelvin-sign class among them.
    static let foreignPool = [
        "ldap/dc01.corp.example.com", "LDAP/DC01", "krbtgt/CORP.EXAMPLE.COM", "MSSQLSvc/db01.corp.example.com:1433",
        "time/dc01", "exchangeMDB/mail01.corp.example.com", "\u{212A}rbtgt/CORP.EXAMPLE.COM", "cifs\u{212A}/HV02",
        "RestrictedKrbHost/HV02", "WSMAN/hv03.corp.example.com", "TERMSRV/HV04",
    ]
    static let unrelated = ["DC01", "SQL01", "HV12"]
    static let namedBits: [UserAccountControl] = UserAccountControl.names.map(\.0)
    /// Bits with no name in UserAccountControl (AD leaves some unused; a value with them must survive).
    static let unnamedBits: [UInt32] = [0x4, 0x400, 0x4000, 0x8000, 0x200_0000, 0x800_0000, 0x8000_0000]

    static func dn(_ name: String) -> String { "CN=\(name.uppercased()),OU=Hyper-V,DC=corp,DC=example,DC=com" }

    static func generate(_ rng: inout PropRNG) -> PropCase {
        // Each pool host has one mode, so that hosts shared between clusters agree (the loader refuses otherwise).
        let sameMode = rng.chance(0.3)
        let firstMode: DelegationMode = rng.chance(0.5) ? .anyProtocol : .kerberosOnly
        var modeOf: [String: DelegationMode] = [:]
        for host in pool { modeOf[host] = sameMode ? firstMode : (rng.chance(0.5) ? .anyProtocol : .kerberosOnly) }

        var clusters: [Cluster] = []
        for i in 1...rng.weighted([35, 30, 20, 15]) {
            var mode: DelegationMode = rng.chance(0.5) ? .anyProtocol : .kerberosOnly
            var candidates = pool.filter { modeOf[$0] == mode }
            if candidates.isEmpty {
                mode = mode == .anyProtocol ? .kerberosOnly : .anyProtocol
                candidates = pool.filter { modeOf[$0] == mode }
            }
            let hosts = rng.sample(candidates, min(rng.weighted([10, 30, 25, 13, 8, 6, 4, 4]), candidates.count))
                .map { rng.chance(0.1) ? $0.lowercased() : $0 }
            let chosen = rng.sample(services, rng.weighted([45, 30, 15, 10])).map {
                rng.chance(0.1) ? rng.randomCase($0) : $0
            }
            let nameForms: [NameForm] = rng.pick([
                [.short], [.short], [.fqdn], [.fqdn], [.short, .fqdn], [.fqdn, .short],
            ])
            var storage: [String] = []
            if rng.chance(0.5) {
                for server in rng.sample(["FS01", "FS02", rng.pick(pool)], rng.int(1...2))
                where !storage.contains(where: { $0.lowercased() == server.lowercased() }) {
                    storage.append(server)
                }
            }
            let extras = rng.chance(0.4) ? rng.sample(extraPool, rng.int(1...2)).map(SPN.init) : []
            clusters.append(
                Cluster(
                    name: "c\(i)", mode: mode, services: chosen, nameForms: nameForms, hosts: hosts,
                    smbStorage: storage, extraTargets: extras, prune: rng.chance(0.3) ? .none : .managed))
        }
        let manifest = Manifest(
            directory: DirectorySettings(
                baseDN: "DC=corp,DC=example,DC=com", auth: .init(bindDN: "svc@corp.example.com")),
            clusters: clusters)

        // The computer objects, first without values: the desired fqdn forms depend on their dNSHostName.
        let hostKeys = Set(manifest.hosts.map { $0.lowercased() })
        var names = manifest.accountNames.filter { hostKeys.contains($0.lowercased()) || rng.chance(0.85) }
        for name in unrelated where !manifest.accountNames.contains(where: { $0.lowercased() == name.lowercased() }) {
            if rng.chance(0.4) { names.append(name) }
        }
        var observed: [ObservedComputer] = names.map { account in
            let name = rng.chance(0.1) ? rng.randomCase(account) : account
            let lower = account.lowercased()
            let dns: String? = rng.pick([
                nil, "\(lower).corp.example.com", "\(lower).corp.example.com", "\(lower).site2.corp.example.com",
            ])
            return ObservedComputer(
                name: name, dn: dn(account), dnsHostName: dns,
                userAccountControl: uac(&rng, domainController: account == "DC01"),
                servicePrincipalNames: ["HOST/\(name)", "HOST/\(lower).corp.example.com"])
        }
        var dnsHostName: [String: String] = [:]
        for c in observed { if let d = c.dnsHostName { dnsHostName[c.name.lowercased()] = d } }
        let model = PropModel(manifest, domain: Prop.domain, dnsHostName: dnsHostName)

        for i in observed.indices {
            observed[i].allowedToDelegateTo = values(&rng, for: model.host(observed[i].name), model: model)
            if let host = model.host(observed[i].name), rng.chance(0.3) {
                observed[i].userAccountControl = PropModel.required(observed[i].userAccountControl, host.mode)
            }
        }
        return PropCase(manifest: manifest, observed: rng.shuffled(observed), model: model)
    }

    static func uac(_ rng: inout PropRNG, domainController: Bool) -> UserAccountControl {
        var uac: UserAccountControl = domainController ? .serverTrustAccount : .workstationTrustAccount
        for bit in namedBits
        where bit != .trustedForDelegation && bit != .trustedToAuthForDelegation && rng.chance(0.08) {
            uac.insert(bit)
        }
        if rng.chance(0.3) { uac.insert(.trustedForDelegation) }
        if rng.chance(0.5) { uac.insert(.trustedToAuthForDelegation) }
        if rng.chance(0.05) { uac.insert(UserAccountControl(rawValue: rng.pick(unnamedBits))) }
        return uac
    }

    /// msDS-AllowedToDelegateTo of one computer: some desired values (any case), undeclared values of the
    /// managed classes, foreign ones, duplicates in another case. AD holds no value twice byte for byte.
    static func values(_ rng: inout PropRNG, for host: PropModel.Host?, model: PropModel) -> [String] {
        var values: [String] = []
        let desired = host.map { $0.targets.values.sorted { $0.lowercased() < $1.lowercased() } } ?? []
        if rng.chance(0.35) {
            // Already right (as kcdctl wrote it, or in another order, or in another case).
            let exact = rng.chance(0.6)
            values = desired.map { exact ? $0 : rng.randomCase($0) }
            if rng.chance(0.5) { values = rng.shuffled(values) }
        } else {
            let keep = rng.pick([0.0, 0.5, 0.9, 1.0])
            values = desired.filter { _ in rng.chance(keep) }.map { rng.chance(0.2) ? rng.randomCase($0) : $0 }
            // Values that look like kcdctl's: any service, any host name, any form; desired or not.
            let hostNames =
                pool + pool.map { "\($0.lowercased()).corp.example.com" } + [
                    "FS01", "fs02.corp.example.com", "OLD01", "NAS01.corp.example.com",
                ]
            for _ in 0..<rng.int(0...4) {
                let service = rng.pick(services + ["cifs", "http"])
                values.append("\(rng.chance(0.3) ? rng.randomCase(service) : service)/\(rng.pick(hostNames))")
            }
        }
        for _ in 0..<rng.int(0...2) where rng.chance(0.6) { values.append(rng.pick(foreignPool)) }
        if !values.isEmpty, rng.chance(0.25) { values.append(rng.randomCase(rng.pick(values))) }
        var seen = Set<String>()
        values = values.filter { seen.insert($0).inserted }
        return rng.chance(0.3) ? rng.shuffled(values) : values
    }

    /// The manifest as a file kcdctl loads (what a failure prints, to reproduce it).
    var yaml: String {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        var out =
            "version: 1\ndirectory:\n  uri: ldaps://dc01.corp.example.com\n  baseDN: DC=corp,DC=example,DC=com\n"
            + "  auth:\n    bindDN: svc-kcd@corp.example.com\n    passwordFile: /etc/kcdctl/bind.pw\nclusters:\n"
        for c in manifest.clusters {
            out +=
                "  - {name: \(c.name), mode: \(c.mode.rawValue), prune: \(c.prune.rawValue), services: \(list(c.services)), "
                + "nameForms: \(list(c.nameForms.map(\.rawValue))), hosts: \(list(c.hosts)), smbStorage: \(list(c.smbStorage)), "
                + "extraTargets: \(list(c.extraTargets.map(\.value)))}\n"
        }
        return out
    }

    var description: String {
        var out = yaml + "observed:\n"
        for o in observed {
            out +=
                "  - \(o.name) dn=\(o.dn) dnsHostName=\(o.dnsHostName ?? "-") uac=\(o.userAccountControl) "
                + "msDS-AllowedToDelegateTo=\(o.allowedToDelegateTo.map(Printable.escape))\n"
        }
        return out
    }

    func computer(_ name: String) -> ObservedComputer? { observed.first { $0.name.lowercased() == name.lowercased() } }
}

// MARK: - Helpers for the properties

extension Prop {
    static func plan(_ c: PropCase) throws -> Plan {
        try Reconciler.plan(c.manifest, domain: domain, observed: c.observed, spnMappings: mappings)
    }

    static func show(_ change: HostChange) -> String {
        "\(change.host) at \(change.dn): add \(change.add.map(\.value)), remove \(change.remove.map { Printable.escape($0.value) }), "
            + "uac \(change.userAccountControl.map { "\($0.from) -> \($0.to)" } ?? "-")"
    }

    static func show(_ plan: Plan) -> String {
        "plan: changes [\(plan.changes.map(show).joined(separator: "; "))], unchanged \(plan.unchanged)"
    }

    struct Applied: Sendable {
        /// The plan applied.
        var plan: Plan
        /// Every object of the directory after `Reconciliation.apply(plan)`, by lowercased name.
        var after: [String: ObservedComputer]
        /// `Reconciliation.plan()` again, after applying.
        var again: Plan
    }

    /// The plan applied through `Reconciliation.apply` (which reads the manifest's accounts again, checks the
    /// invariant guard and staleness, and sends one request per host) to a directory in memory with AD's
    /// write semantics, and `Reconciliation.plan()` (reading through the directory) again.
    static func applyInMemory(_ c: PropCase, _ plan: Plan) throws -> Applied {
        let directory = MemoryDirectory(c.observed)
        directory.mappings = mappings
        let reconciliation = Reconciliation(manifest: c.manifest, domain: domain, directory: directory)
        let report = try reconciliation.apply(plan)
        try require(
            report.isComplete && report.applied.count == plan.changes.count,
            "applying in memory did not complete: applied \(report.applied.map(\.host)), stale \(report.stale.map { "\($0.change.host): \($0.difference)" }), failure \(String(describing: report.failure?.error))\n\(show(plan))"
        )
        return Applied(plan: plan, after: directory.objects, again: try reconciliation.plan())
    }

    /// How many times each value occurs, byte for byte.
    static func counts(_ values: [String]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts
    }
}

// MARK: - The properties

@Suite struct Properties {
    /// (a) Applying the plan and planning again gives an empty plan: the reconciler converges in one step.
    @Test func convergenceInOneStep() {
        Prop.forAll(atLeast: ["hosts written": 2_000, "cases with something to do": 500]) { entry, _, coverage in
            let c = entry.c
            let (plan, again) = try (entry.applied.get().plan, entry.applied.get().again)
            coverage.saw("hosts written", plan.changes.count)
            if !plan.isEmpty { coverage.saw("cases with something to do") }
            try Prop.require(
                again.isEmpty,
                "planning again after applying is not empty: \(Prop.show(again))\nfirst \(Prop.show(plan))")
            let all = c.model.hosts.map(\.name).sorted { $0.lowercased() < $1.lowercased() }
            try Prop.require(
                again.unchanged == all, "after applying, unchanged is \(again.unchanged), expected every host \(all)")
        }
    }

    /// (b) Foreign values and the other userAccountControl bits are never touched: a value of a class the
    /// host's prune: managed clusters do not manage (every value, for a host only in prune: none clusters)
    /// survives byte for byte; every bit but 0x80000 and 0x1000000 stays; 0x80000 is never set; computers
    /// that are not managed hosts do not change at all.
    @Test func foreignValuesAndOtherBitsAreNeverTouched() {
        Prop.forAll(atLeast: [
            "foreign values kept": 3_000, "unconstrained delegation cleared": 300, "other bits kept": 1_000,
        ]) { entry, _, coverage in
            let c = entry.c
            let (plan, objects) = try (entry.applied.get().plan, entry.applied.get().after)
            for before in c.observed {
                let after = try Prop.unwrap(objects[before.name.lowercased()], "\(before.name) vanished")
                guard let host = c.model.host(before.name) else {
                    try Prop.require(after == before, "\(before.name) is not a managed host and changed: \(after)")
                    continue
                }
                try Prop.require(
                    after.dn == before.dn && after.name == before.name && after.dnsHostName == before.dnsHostName
                        && after.servicePrincipalNames == before.servicePrincipalNames,
                    "\(host.name): other attributes changed")
                let now = Prop.counts(after.allowedToDelegateTo)
                for (value, n) in Prop.counts(before.allowedToDelegateTo) where !c.model.isManaged(value, by: host) {
                    try Prop.require(
                        now[value, default: 0] >= n,
                        "\(host.name): the foreign value '\(Printable.escape(value))' (managed classes \(host.managed.sorted())) did not survive: \(after.allowedToDelegateTo)\n\(Prop.show(plan))"
                    )
                    coverage.saw("foreign values kept")
                }
                for (value, n) in Prop.counts(before.allowedToDelegateTo) where c.model.isDesired(value, by: host) {
                    try Prop.require(
                        now[value, default: 0] >= n,
                        "\(host.name): the desired value '\(value)' was rewritten or removed")
                }
                let delegationBits: UInt32 = 0x80000 | 0x100_0000
                let b = before.userAccountControl.rawValue
                let a = after.userAccountControl.rawValue
                try Prop.require(
                    (a ^ b) & ~delegationBits == 0,
                    "\(host.name): userAccountControl \(before.userAccountControl) -> \(after.userAccountControl) changed a bit other than the delegation bits"
                )
                try Prop.require(
                    a & 0x80000 == 0,
                    "\(host.name): TRUSTED_FOR_DELEGATION is set after applying: \(after.userAccountControl)")
                if b & ~delegationBits != UserAccountControl.workstationTrustAccount.rawValue {
                    coverage.saw("other bits kept")
                }
                if b & 0x80000 != 0 { coverage.saw("unconstrained delegation cleared") }
            }
            for change in plan.changes {
                if let uac = change.userAccountControl {
                    try Prop.require(
                        !uac.to.contains(.trustedForDelegation), "\(change.host): the plan sets TRUSTED_FOR_DELEGATION")
                }
            }
        }
    }

    /// (c) Minimality: the plan adds only desired values that are absent (case-insensitively), spelled as
    /// declared, each once; removes only present, undeclared values of a managed class, by their stored
    /// spelling, each once; changes userAccountControl only when it differs from what the mode requires;
    /// lists a host only when something differs, and every other host under `unchanged`. (And nothing less:
    /// every absent desired value is added, every undeclared managed value removed.)
    @Test func planIsMinimal() {
        Prop.forAll(atLeast: [
            "values added": 5_000, "values removed": 500, "hosts unchanged": 500, "uac changes": 1_000,
            "case-insensitive matches": 300,
        ]) { entry, _, coverage in
            let c = entry.c
            let plan = try entry.plan.get()
            let byName = Dictionary(c.observed.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
            var listed = Set<String>()
            for change in plan.changes {
                let key = change.host.lowercased()
                let context = "\(Prop.show(change))"
                let host = try Prop.unwrap(c.model.host(change.host), "\(change.host) is not a host of the manifest")
                let read = try Prop.unwrap(byName[key], "no computer read for \(key)")
                try Prop.require(listed.insert(key).inserted, "\(change.host) appears twice")
                try Prop.require(
                    change.dn == read.dn && change.observed == read && change.mode == host.mode
                        && change.clusters == host.clusters,
                    "\(change.host): dn/observed/mode/clusters not as read and declared: \(change.dn) \(change.mode) \(change.clusters)"
                )
                let present = Set(read.allowedToDelegateTo.map { $0.lowercased() })
                var added = Set<String>()
                for value in change.add {
                    try Prop.require(
                        host.targets[value.key] == value.value,
                        "\(context): adds '\(value.value)', which is not a desired value spelled as declared (\(host.targets[value.key] ?? "not desired"))"
                    )
                    try Prop.require(
                        !present.contains(value.key),
                        "\(context): adds '\(value.value)', which is present already (as AD compares SPNs)")
                    try Prop.require(added.insert(value.key).inserted, "\(context): adds '\(value.value)' twice")
                }
                var removed = Set<String>()
                for value in change.remove {
                    try Prop.require(
                        read.allowedToDelegateTo.contains(value.value),
                        "\(context): removes '\(value.value)', which is not stored so spelled")
                    try Prop.require(
                        c.model.isManaged(value.value, by: host),
                        "\(context): removes '\(value.value)', whose class is not managed (\(host.managed.sorted()))")
                    try Prop.require(
                        !c.model.isDesired(value.value, by: host), "\(context): removes the desired '\(value.value)'")
                    try Prop.require(
                        removed.insert(value.key).inserted,
                        "\(context): removes '\(value.value)' twice (as AD compares SPNs)")
                }
                for (key, spelling) in host.targets where !present.contains(key) {
                    try Prop.require(
                        added.contains(key), "\(context): the absent desired value '\(spelling)' is not added")
                }
                for value in read.allowedToDelegateTo
                where c.model.isManaged(value, by: host) && !c.model.isDesired(value, by: host) {
                    try Prop.require(
                        removed.contains(value.lowercased()),
                        "\(context): the undeclared managed value '\(value)' is not removed")
                }
                try Prop.require(
                    change.add.map(\.key) == change.add.map(\.key).sorted()
                        && change.remove.map(\.key) == change.remove.map(\.key).sorted(),
                    "\(context): add and remove are not sorted")
                let required = PropModel.required(read.userAccountControl, host.mode)
                if required == read.userAccountControl {
                    try Prop.require(
                        change.userAccountControl == nil,
                        "\(context): changes userAccountControl \(read.userAccountControl), which is what mode \(host.mode.rawValue) requires"
                    )
                } else {
                    try Prop.require(
                        change.userAccountControl
                            == UserAccountControlChange(from: read.userAccountControl, to: required),
                        "\(context): userAccountControl should go \(read.userAccountControl) -> \(required)")
                    coverage.saw("uac changes")
                }
                try Prop.require(
                    !change.add.isEmpty || !change.remove.isEmpty || change.userAccountControl != nil,
                    "\(context): an entry with nothing to do")
                coverage.saw("values added", change.add.count)
                coverage.saw("values removed", change.remove.count)
            }
            // Every host that is not listed already matches, and is named under `unchanged`.
            var unchanged = Set<String>()
            for name in plan.unchanged {
                let key = name.lowercased()
                let host = try Prop.unwrap(c.model.host(name), "unchanged names \(name), not a host of the manifest")
                let read = try Prop.unwrap(byName[key], "no computer read for \(key)")
                try Prop.require(
                    !listed.contains(key) && unchanged.insert(key).inserted,
                    "\(name) is listed twice (changes and/or unchanged)")
                let present = Set(read.allowedToDelegateTo.map { $0.lowercased() })
                try Prop.require(
                    host.targets.keys.allSatisfy(present.contains), "\(name) is unchanged but lacks desired values")
                try Prop.require(
                    !read.allowedToDelegateTo.contains {
                        c.model.isManaged($0, by: host) && !c.model.isDesired($0, by: host)
                    },
                    "\(name) is unchanged but holds undeclared managed values")
                try Prop.require(
                    PropModel.required(read.userAccountControl, host.mode) == read.userAccountControl,
                    "\(name) is unchanged but its userAccountControl is wrong")
                if read.allowedToDelegateTo != host.targets.values.sorted(by: { $0.lowercased() < $1.lowercased() }) {
                    coverage.saw("case-insensitive matches")
                }
                coverage.saw("hosts unchanged")
            }
            try Prop.require(
                listed.union(unchanged) == Set(c.model.index.keys),
                "changes \(listed.sorted()) and unchanged \(unchanged.sorted()) are not the manifest's hosts \(c.model.index.keys.sorted())"
            )
            let changeKeys = plan.changes.map { $0.host.lowercased() }
            let unchangedKeys = plan.unchanged.map { $0.lowercased() }
            try Prop.require(
                changeKeys == changeKeys.sorted() && unchangedKeys == unchangedKeys.sorted(),
                "changes or unchanged are not sorted by host")
        }
    }

    /// (d) `prune: none` never removes anything. A host in a prune: none cluster and also in a prune: managed
    /// one: what the documentation says per cluster, and what Cluster.managedServiceClasses and DesiredState
    /// implement, is that the managed cluster's classes (its services, cifs with storage) are pruned and
    /// nothing else; a class that only a prune: none cluster names is never pruned.
    @Test func pruneNoneNeverRemoves() {
        Prop.forAll(atLeast: [
            "hosts only in prune: none clusters": 300, "hosts in both": 100, "removals on hosts in both": 20,
            "undeclared values of a prune: none class kept on hosts in both": 20,
        ]) { entry, _, coverage in
            let c = entry.c
            let (plan, objects) = try (entry.applied.get().plan, entry.applied.get().after)
            let state = DesiredState.expand(c.manifest, domain: Prop.domain) { name in
                c.computer(name)?.dnsHostName
            }
            for cluster in c.manifest.clusters where cluster.prune == .none {
                try Prop.require(
                    cluster.managedServiceClasses.isEmpty,
                    "cluster \(cluster.name) is prune: none but manages \(cluster.managedServiceClasses)")
            }
            for host in c.model.hosts {
                let expanded = try Prop.unwrap(
                    state.hosts.first { $0.name.lowercased() == host.name.lowercased() },
                    "DesiredState lacks \(host.name)")
                let union = c.manifest.clusters.filter {
                    $0.hosts.contains { $0.lowercased() == host.name.lowercased() }
                }
                .reduce(into: Set<String>()) { $0.formUnion($1.managedServiceClasses) }
                try Prop.require(
                    expanded.managedServiceClasses == union && union == host.managed,
                    "\(host.name): DesiredState manages \(expanded.managedServiceClasses.sorted()), its clusters' managedServiceClasses \(union.sorted()), the documentation \(host.managed.sorted())"
                )
                let change = plan.changes.first { $0.host.lowercased() == host.name.lowercased() }
                let before = try Prop.unwrap(c.computer(host.name), "no computer \(host.name)")
                let after = try Prop.unwrap(objects[host.name.lowercased()], "\(host.name) vanished")
                let now = Prop.counts(after.allowedToDelegateTo)
                if !host.inManagedCluster {
                    coverage.saw("hosts only in prune: none clusters")
                    try Prop.require(
                        change?.remove.isEmpty ?? true,
                        "\(host.name) is only in prune: none clusters and loses \(change!.remove.map(\.value))")
                    for (value, n) in Prop.counts(before.allowedToDelegateTo) {
                        try Prop.require(
                            now[value, default: 0] >= n,
                            "\(host.name) is only in prune: none clusters and lost '\(value)'")
                    }
                } else if host.inNoneCluster {
                    coverage.saw("hosts in both")
                    for value in change?.remove ?? [] {
                        try Prop.require(
                            PropModel.serviceClass(value.value).map(host.managed.contains) == true,
                            "\(host.name) (in prune: none and prune: managed clusters) loses '\(value.value)', a class only its prune: none clusters name"
                        )
                        coverage.saw("removals on hosts in both")
                    }
                    for (value, n) in Prop.counts(before.allowedToDelegateTo)
                    where PropModel.serviceClass(value).map(host.managed.contains) != true {
                        try Prop.require(
                            now[value, default: 0] >= n,
                            "\(host.name) lost '\(value)', whose class no prune: managed cluster of it manages")
                        if PropModel.serviceClass(value).map(host.noneClasses.contains) == true,
                            !c.model.isDesired(value, by: host)
                        {
                            coverage.saw("undeclared values of a prune: none class kept on hosts in both")
                        }
                    }
                }
            }
        }
    }

    /// Not a property: the generator's manifests are ones the loader accepts (a host shared by clusters has
    /// one mode, names and values pass the input rules), and load back as generated.
    @Test func generatedManifestsAreValid() {
        Prop.forAll(atLeast: ["manifests loaded": 200]) { entry, _, coverage in
            guard entry.index < 200 else { return }
            coverage.saw("manifests loaded")
            let loaded: Manifest
            do { loaded = try ManifestLoader.parse(entry.c.yaml, file: "generated.yaml") } catch {
                throw Prop.Failure(description: "the loader refuses the generated manifest: \(error)")
            }
            let a = loaded.clusters
            let b = entry.c.manifest.clusters
            try Prop.require(
                a.count == b.count
                    && zip(a, b).allSatisfy { x, y in
                        x.name == y.name && x.mode == y.mode && x.prune == y.prune && x.services == y.services
                            && x.nameForms == y.nameForms
                            && x.hosts == y.hosts && x.smbStorage == y.smbStorage
                            && x.extraTargets.map(\.value) == y.extraTargets.map(\.value)
                    }, "the generated manifest loads differently")
        }
    }

    enum Mutation: String, CaseIterable {
        // Leave the declared state: refused.
        case hostNotInManifest, storageServerAsHost, addUndeclared, addOneCharacterChanged, addOwnSPN, addInAnotherCase,
            removeForeign, removeDesired, uacOtherBit, uacSetsUnconstrained, uacFromNotAsRead, anotherDN, sameHostTwice
        // Stay inside it: accepted.
        case dropOneAdd, dropOneRemove, dropUAC, dropHost, reorderHosts, emptyChangeForAnUnchangedHost,
            hostNameInAnotherCase

        var refused: Bool {
            switch self {
            case .dropOneAdd, .dropOneRemove, .dropUAC, .dropHost, .reorderHosts, .emptyChangeForAnUnchangedHost,
                .hostNameInAnotherCase:
                false
            default: true
            }
        }
    }

    /// (e) The invariant guard accepts every reconciler plan, refuses every mutation that leaves the declared
    /// state (naming the host) and accepts every mutation that stays inside it.
    @Test func invariantGuardAcceptsPlansAndRefusesMutations() {
        let minimum = Dictionary(uniqueKeysWithValues: Mutation.allCases.map { ($0.rawValue, 150) })
        Prop.forAll(atLeast: minimum) { entry, rng, coverage in
            let c = entry.c
            let plan = try entry.plan.get()
            let guardian = WriteInvariant(manifest: c.manifest, domain: Prop.domain, observed: c.observed)
            do { try guardian.check(plan) } catch {
                throw Prop.Failure(description: "the reconciler's own plan is refused: \(error)\n\(Prop.show(plan))")
            }
            for mutation in Mutation.allCases {
                guard let (mutated, host) = Self.mutate(plan, mutation, c, &rng) else { continue }
                coverage.saw(mutation.rawValue)
                func what() -> String {
                    "mutation \(mutation.rawValue) of host \(host)\nmutated \(Prop.show(mutated))\noriginal \(Prop.show(plan))"
                }
                do {
                    try guardian.check(mutated)
                    try Prop.require(!mutation.refused, "the guard accepts the \(what())")
                } catch let violation as InvariantViolation {
                    try Prop.require(mutation.refused, "the guard refuses the \(what()): \(violation)")
                    try Prop.require(
                        violation.host.lowercased() == host.lowercased(),
                        "the guard refuses the \(what()), but names \(violation.host): \(violation)")
                }
            }
        }
    }

    /// `plan` with one mutation, and the host it concerns; nil when the case offers nothing to mutate so.
    static func mutate(_ plan: Plan, _ mutation: Mutation, _ c: PropCase, _ rng: inout PropRNG) -> (Plan, String)? {
        var p = plan
        /// The host's change in the plan (or an empty one: inside the declared state) and where it goes.
        func changeOf(_ host: PropModel.Host) -> (Int?, HostChange) {
            if let i = p.changes.firstIndex(where: { $0.host.lowercased() == host.name.lowercased() }) {
                return (i, p.changes[i])
            }
            let read = c.computer(host.name)!
            return (
                nil,
                HostChange(
                    host: host.name, dn: read.dn, mode: host.mode, clusters: host.clusters, add: [], remove: [],
                    userAccountControl: nil, observed: read)
            )
        }
        func put(_ change: HostChange, at index: Int?) {
            if let index {
                p.changes[index] = change
            } else {
                p.changes.insert(change, at: rng.int(0...p.changes.count))
            }
        }
        /// Edits a random manifest host's change (made when it has none) with `edit`, which may decline.
        func edit(_ hosts: [PropModel.Host]? = nil, _ edit: (PropModel.Host, inout HostChange, inout PropRNG) -> Bool)
            -> (Plan, String)?
        {
            for host in rng.shuffled(hosts ?? c.model.hosts) {
                var (index, change) = changeOf(host)
                if edit(host, &change, &rng) {
                    put(change, at: index)
                    return (p, host.name)
                }
            }
            return nil
        }
        func insertAt(_ values: [SPN], _ value: SPN, _ rng: inout PropRNG) -> [SPN] {
            var v = values
            v.insert(value, at: rng.int(0...v.count))
            return v
        }

        switch mutation {
        case .hostNotInManifest:
            let names = ["DC01", "SQL01", "HV12", "EVIL01"].filter { c.model.host($0) == nil }
            guard let name = names.isEmpty ? nil : rng.pick(names) else { return nil }
            let read = c.computer(name)
            let change = HostChange(
                host: read?.name ?? name, dn: read?.dn ?? PropCase.dn(name), mode: .anyProtocol,
                add: [SPN("cifs/HV01")], remove: [],
                userAccountControl: read.map {
                    .init(from: $0.userAccountControl, to: PropModel.required($0.userAccountControl, .anyProtocol))
                },
                observed: read)
            p.changes.insert(change, at: rng.int(0...p.changes.count))
            return (p, change.host)
        case .storageServerAsHost:
            let servers = c.manifest.accountNames.filter { c.model.host($0) == nil && c.computer($0) != nil }
            guard !servers.isEmpty else { return nil }
            let read = c.computer(rng.pick(servers))!
            p.changes.insert(
                HostChange(
                    host: read.name, dn: read.dn, mode: .kerberosOnly, add: [], remove: [],
                    userAccountControl: .init(
                        from: read.userAccountControl, to: PropModel.required(read.userAccountControl, .kerberosOnly)),
                    observed: read), at: rng.int(0...p.changes.count))
            return (p, read.name)
        case .addUndeclared:
            return edit { host, change, rng in
                let candidates = [
                    "ldap/dc01.corp.example.com", "cifs/DC01", "krbtgt/CORP.EXAMPLE.COM", "cifs/HV99",
                    "\(Prop.mvsms)/OLD01",
                    "http/web99.corp.example.com", "cifs/HV0\u{212A}",
                ].filter { !c.model.isDesired($0, by: host) }
                guard !candidates.isEmpty else { return false }
                change.add = insertAt(change.add, SPN(rng.pick(candidates)), &rng)
                return true
            }
        case .addOneCharacterChanged:
            return edit { host, change, rng in
                guard !host.targets.isEmpty else { return false }
                let target = rng.pick(host.targets.values.sorted())
                let chars = Array(target.unicodeScalars)
                let positions = chars.indices.filter {
                    chars[$0].properties.isAlphabetic || ("0"..."9").contains(chars[$0])
                }
                for _ in 0..<8 {
                    var copy = chars
                    copy[rng.pick(positions)] = rng.pick(Array("abcdefghijklmnopqrstuvwxyz0123456789-.".unicodeScalars))
                    var s = String.UnicodeScalarView()
                    s.append(contentsOf: copy)
                    let changed = String(s)
                    if !c.model.isDesired(changed, by: host) {
                        change.add = insertAt(change.add, SPN(changed), &rng)
                        return true
                    }
                }
                return false
            }
        case .addOwnSPN:
            return edit { host, change, rng in
                let own = c.manifest.clusters.filter { $0.hosts.contains { $0.lowercased() == host.name.lowercased() } }
                    .flatMap { cluster in cluster.services.map { "\($0)/\(host.name)" } }
                    .filter { !c.model.isDesired($0, by: host) }
                guard !own.isEmpty else { return false }
                change.add = insertAt(change.add, SPN(rng.pick(own)), &rng)
                return true
            }
        case .addInAnotherCase:
            return edit { host, change, rng in
                guard !host.targets.isEmpty else { return false }
                let target = rng.pick(host.targets.values.sorted())
                for _ in 0..<8 {
                    let variant = rng.randomCase(target)
                    if variant != target {
                        change.add = insertAt(change.add.filter { $0.key != target.lowercased() }, SPN(variant), &rng)
                        return true
                    }
                }
                return false
            }
        case .removeForeign:
            return edit { host, change, rng in
                let read = c.computer(host.name)!
                let candidates =
                    (read.allowedToDelegateTo + PropCase.foreignPool + PropCase.services.map { "\($0)/HV99" })
                    .filter { !c.model.isManaged($0, by: host) }
                guard !candidates.isEmpty else { return false }
                change.remove = insertAt(change.remove, SPN(rng.pick(candidates)), &rng)
                return true
            }
        case .removeDesired:
            return edit { host, change, rng in
                guard !host.targets.isEmpty else { return false }
                let target = rng.pick(host.targets.values.sorted())
                change.remove = insertAt(change.remove, SPN(rng.chance(0.3) ? rng.randomCase(target) : target), &rng)
                return true
            }
        case .uacOtherBit, .uacSetsUnconstrained:
            return edit { host, change, rng in
                let read = c.computer(host.name)!
                let bit: UInt32 =
                    mutation == .uacSetsUnconstrained
                    ? 0x80000
                    : rng.chance(0.5) ? rng.pick(PropCase.namedBits).rawValue : UInt32(1) << UInt32(rng.int(0...31))
                let to = UserAccountControl(
                    rawValue: PropModel.required(read.userAccountControl, host.mode).rawValue ^ bit)
                change.userAccountControl = .init(from: read.userAccountControl, to: to)
                return true
            }
        case .uacFromNotAsRead:
            return edit { host, change, rng in
                let read = c.computer(host.name)!
                let from = UserAccountControl(
                    rawValue: read.userAccountControl.rawValue ^ (UInt32(1) << UInt32(rng.int(0...31))))
                change.userAccountControl = .init(from: from, to: PropModel.required(from, host.mode))
                return true
            }
        case .anotherDN:
            return edit { host, change, rng in
                let others = c.observed.map(\.dn).filter { $0 != change.dn }
                change.dn = rng.pick(
                    others + [
                        "CN=\(host.name),OU=Elsewhere,DC=corp,DC=example,DC=com",
                        change.dn.lowercased(), change.dn + ",DC=evil",
                    ])
                return true
            }
        case .sameHostTwice:
            let host = rng.pick(c.model.hosts)
            let (index, change) = changeOf(host)
            if index == nil { p.changes.insert(change, at: rng.int(0...p.changes.count)) }
            var twin = change
            if rng.chance(0.3) { twin.host = rng.randomCase(twin.host) }
            if rng.chance(0.5) { twin.add = [] }
            p.changes.insert(twin, at: rng.int(0...p.changes.count))
            return (p, host.name)
        case .dropOneAdd:
            guard let i = rng.shuffled(Array(p.changes.indices)).first(where: { !p.changes[$0].add.isEmpty }) else {
                return nil
            }
            p.changes[i].add.remove(at: rng.int(0...(p.changes[i].add.count - 1)))
            return (p, p.changes[i].host)
        case .dropOneRemove:
            guard let i = rng.shuffled(Array(p.changes.indices)).first(where: { !p.changes[$0].remove.isEmpty }) else {
                return nil
            }
            p.changes[i].remove.remove(at: rng.int(0...(p.changes[i].remove.count - 1)))
            return (p, p.changes[i].host)
        case .dropUAC:
            guard
                let i = rng.shuffled(Array(p.changes.indices)).first(where: { p.changes[$0].userAccountControl != nil })
            else { return nil }
            p.changes[i].userAccountControl = nil
            return (p, p.changes[i].host)
        case .dropHost:
            guard !p.changes.isEmpty else { return nil }
            let dropped = p.changes.remove(at: rng.int(0...(p.changes.count - 1)))
            return (p, dropped.host)
        case .reorderHosts:
            guard p.changes.count > 1 else { return nil }
            p.changes = rng.shuffled(p.changes)
            return (p, p.changes[0].host)
        case .emptyChangeForAnUnchangedHost:
            let unchanged = c.model.hosts.filter { host in
                !p.changes.contains { $0.host.lowercased() == host.name.lowercased() }
            }
            guard !unchanged.isEmpty else { return nil }
            return edit(unchanged) { _, _, _ in true }
        case .hostNameInAnotherCase:
            guard
                let i = rng.shuffled(Array(p.changes.indices)).first(where: {
                    p.changes[$0].host.lowercased() != p.changes[$0].host.uppercased()
                })
            else { return nil }
            p.changes[i].host =
                p.changes[i].host == p.changes[i].host.lowercased()
                ? p.changes[i].host.uppercased() : p.changes[i].host.lowercased()
            return (p, p.changes[i].host)
        }
    }
}
