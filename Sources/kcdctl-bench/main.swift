// The pure reconcile (desired-state expansion + diff) on N hosts in memory, for `make bench`.
// Usage: kcdctl-bench [HOSTS] [REPETITIONS]; prints one JSON object with medians in milliseconds.
import Foundation
import KCDCore

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let hostCount = arguments.first ?? 10_000
let repetitions = arguments.dropFirst().first ?? 7
// KCDCTL_BENCH_CLUSTER: hosts per cluster (64: a failover cluster's most; 1,000: the manifest's default cap).
let clusterSize = ProcessInfo.processInfo.environment["KCDCTL_BENCH_CLUSTER"].flatMap(Int.init) ?? 64
let domain = "corp.example.com"
let services = Manifest.defaultServices

let names = (0..<hostCount).map { String(format: "HV%05d", $0) }
let clusters = stride(from: 0, to: hostCount, by: clusterSize).map { start in
    Cluster(
        name: "c\(start / clusterSize)", mode: .anyProtocol,
        hosts: Array(names[start..<min(start + clusterSize, hostCount)]))
}
let manifest = Manifest(
    directory: DirectorySettings(baseDN: "DC=corp,DC=example,DC=com", auth: .init(bindDN: "svc")), clusters: clusters)
let mappings = SPNMappings(values: ["host=alerter,cifs,http"])

enum State: String, CaseIterable {
    /// Nothing delegated yet.
    case empty
    /// Exactly the manifest, in the order kcdctl writes values: the no-op a cron drift check meets.
    case convergedByKcdctl
    /// Exactly the manifest, in another order (values written by other tools, or one by one over time).
    case convergedOtherOrder
}

/// What AD holds.
func observed(_ state: State) -> [ObservedComputer] {
    clusters.flatMap { cluster in
        cluster.hosts.map { host in
            let converged = state != .empty
            var values =
                converged
                ? cluster.hosts.filter { $0 != host }.flatMap { peer in
                    services.flatMap { ["\($0)/\(peer)", "\($0)/\(peer.lowercased()).\(domain)"] }
                } : []
            if state == .convergedByKcdctl { values.sort { $0.lowercased() < $1.lowercased() } }
            return ObservedComputer(
                name: host, dn: "CN=\(host),OU=Hyper-V,DC=corp,DC=example,DC=com",
                dnsHostName: "\(host.lowercased()).\(domain)",
                userAccountControl: converged
                    ? [.workstationTrustAccount, .trustedToAuthForDelegation] : .workstationTrustAccount,
                allowedToDelegateTo: values,
                servicePrincipalNames: ["HOST/\(host)", "HOST/\(host.lowercased()).\(domain)"]
                    + services.prefix(1).flatMap { ["\($0)/\(host)", "\($0)/\(host.lowercased()).\(domain)"] })
        }
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func measure(_ state: State) -> (ms: Double, plan: Plan) {
    let state = observed(state)
    let clock = ContinuousClock()
    var times: [Double] = []
    var plan: Plan!
    for _ in 0..<repetitions {
        let t = clock.measure {
            plan = try! Reconciler.plan(manifest, domain: domain, observed: state, spnMappings: mappings)
        }
        times.append(Double(t.components.seconds) * 1000 + Double(t.components.attoseconds) / 1e15)
    }
    return (median(times), plan)
}

// KCDCTL_BENCH_STATE=convergedByKcdctl measures one state only (for a profiler).
if let only = ProcessInfo.processInfo.environment["KCDCTL_BENCH_STATE"].flatMap(State.init(rawValue:)) {
    print("{\"\(only.rawValue)Ms\": \(String(format: "%.1f", measure(only).ms))}")
    exit(0)
}
let results = State.allCases.map { ($0, measure($0)) }
let empty = results[0].1.plan
precondition(
    results.dropFirst().allSatisfy { $0.1.plan.isEmpty } && empty.changes.count == hostCount,
    "the benchmark's states are not what they claim")
// The write invariant that apply checks every plan against, on the plan from empty (the most values).
let fromEmpty = observed(.empty)
var guardTimes: [Double] = []
for _ in 0..<repetitions {
    let t = ContinuousClock().measure {
        try! WriteInvariant(manifest: manifest, domain: domain, observed: fromEmpty).check(empty)
    }
    guardTimes.append(Double(t.components.seconds) * 1000 + Double(t.components.attoseconds) / 1e15)
}
let times =
    (results.map { "\"\($0.0.rawValue)Ms\": \(String(format: "%.1f", $0.1.ms))" }
    + ["\"writeInvariantMs\": \(String(format: "%.1f", median(guardTimes)))"]).joined(separator: ", ")
print(
    """
    {"hosts": \(hostCount), "clusterSize": \(clusterSize), "desiredValues": \(empty.summary.valuesToAdd), "repetitions": \(repetitions), \(times)}
    """)
