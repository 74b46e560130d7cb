import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Drift: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "For cron: exit 0 when AD matches the manifest, 2 on drift (printed), 1 on error.",
            discussion: "See docs/operations.md for a crontab line and the metrics it writes for node_exporter.")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var target: TargetOption
        @OptionGroup var detail: DetailOption

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        @Flag(name: .shortAndLong, help: "Print nothing when in sync.")
        var quiet = false

        @Option(
            name: .customLong("metrics-file"),
            help: ArgumentHelp(
                "Write the outcome in the Prometheus text format (atomically), e.g. for node_exporter's textfile collector.",
                valueName: "PATH"))
        var metricsFile: String?

        @Flag(
            name: .customLong("all-dcs"),
            help: """
                Compare the manifest with every DC the configuration partition lists (each within --timeout), and \
                report hosts the DCs disagree about (replication lagging or broken) apart from drift: exit 4 when \
                they disagree and nothing drifts.
                """)
        var allDCs = false

        func execute() throws -> ExitStatus {
            let started = Date()
            // The metrics name the manifest even when it cannot be read.
            let path = ManifestLocation.resolve(flag: manifest.file, environment: ProcessInfo.processInfo.environment)
            do {
                let session = try Session.open(manifest: try manifest.path(), directory)
                try session.manifest.checkTargets(target.targets)
                let snapshot = try session.reconciliation.read()
                let plan: KCDCore.Plan
                var comparison: DomainControllerComparison?
                if allDCs {
                    // A host missing on the DC read first but held by another is a disagreement, not an error.
                    let compared = try DomainControllerComparison.compare(
                        session.readEveryDomainController(snapshot), manifest: session.manifest,
                        domain: session.domain, targets: target.targets.map { Set($0.map(ComputerName.init)) })
                    if let missing = compared.missingEverywhere { throw missing }
                    (plan, comparison) = (compared.drift, compared)
                } else {
                    plan = try session.reconciliation.plan(snapshot, targets: target.targets)
                }
                session.logCounters()
                try writeMetrics(plan, comparison, started, path)
                let status = comparison?.status ?? (plan.isEmpty ? .success : .differs)
                switch format {
                case .json:
                    let document = session.document(plan, targets: target.targets)
                    Terminal.out(
                        comparison.map { JSONOutput.text(DomainControllerText.Document($0, drift: document)) }
                            ?? document.encoded())
                case .text:
                    if let comparison, !quiet || status != .success {
                        Terminal.out(DomainControllerText.render(comparison))
                    }
                    render(plan, path, comparison)
                }
                return status
            } catch {
                try? writeMetrics(nil, nil, started, path)
                throw error
            }
        }

        func render(_ plan: KCDCore.Plan, _ path: String, _ comparison: DomainControllerComparison?) {
            let n = plan.unchanged.count
            let hosts = "\(n) host\(n == 1 ? " matches" : "s match") \(path)"
            switch (plan.isEmpty, comparison) {
            case (true, nil): if !quiet { Terminal.out("In sync: \(hosts).\n") }
            case (true, let comparison?) where comparison.disagreements.isEmpty:
                if !quiet { Terminal.out("In sync: \(hosts) on every DC read.\n") }
            case (true, _):
                Terminal.out("Apart from those, no drift" + (n == 0 ? ".\n" : ": \(hosts) on every DC read.\n"))
            case (false, let comparison):
                Terminal.out(
                    "DRIFT: AD does not match \(path)\(comparison == nil ? "" : " on every DC read"); "
                        + "`kcdctl apply` would make these changes:\n\n")
                PlanText.write(plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
            }
        }

        func writeMetrics(
            _ plan: KCDCore.Plan?, _ comparison: DomainControllerComparison?, _ started: Date, _ path: String
        ) throws {
            guard let metricsFile else { return }
            let now = Date()
            try AtomicFile.write(
                metricsFile,
                DriftMetrics.render(
                    .init(
                        plan: plan, finished: now.timeIntervalSince1970, duration: now.timeIntervalSince(started),
                        manifest: path, domainControllers: comparison)))
        }
    }
}
