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

        func execute() throws -> ExitStatus {
            let started = Date()
            let plan: KCDCore.Plan
            // The metrics name the manifest even when it cannot be read.
            let path = ManifestLocation.resolve(flag: manifest.file, environment: ProcessInfo.processInfo.environment)
            do {
                let session = try Session.open(manifest: try manifest.path(), directory)
                try session.manifest.checkTargets(target.targets)
                plan = try session.reconciliation.plan(targets: target.targets)
                session.logCounters()
                try writeMetrics(plan, started, path)
                switch format {
                case .json: Terminal.out(session.document(plan, targets: target.targets).encoded())
                case .text where plan.isEmpty:
                    if !quiet {
                        Terminal.out(
                            "In sync: \(plan.unchanged.count) host\(plan.unchanged.count == 1 ? " matches" : "s match") \(path).\n"
                        )
                    }
                case .text:
                    Terminal.out(
                        "DRIFT: AD does not match \(path); `kcdctl apply` would make these changes:\n\n")
                    PlanText.write(plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
                }
            } catch {
                try? writeMetrics(nil, started, path)
                throw error
            }
            return plan.isEmpty ? .success : .differs
        }

        func writeMetrics(_ plan: KCDCore.Plan?, _ started: Date, _ path: String) throws {
            guard let metricsFile else { return }
            let now = Date()
            try AtomicFile.write(
                metricsFile,
                DriftMetrics.render(
                    .init(
                        plan: plan, finished: now.timeIntervalSince1970, duration: now.timeIntervalSince(started),
                        manifest: path)))
        }
    }
}
