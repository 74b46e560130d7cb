import ArgumentParser
import KCDCore

extension Kcdctl {
    struct Drift: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "For cron: exit 0 when AD matches the manifest, 2 on drift (printed), 1 on error.")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        func execute() throws -> Int32 {
            let session = try Session.open(manifest: manifest.file, directory)
            let plan = try session.reconciliation.plan()
            session.logCounters()
            switch format {
            case .json:
                Terminal.out(PlanJSON.render(plan))
            case .text where plan.isEmpty:
                Terminal.out("In sync: \(plan.unchanged.count) host\(plan.unchanged.count == 1 ? "" : "s") match \(manifest.file).\n")
            case .text:
                Terminal.out("DRIFT: AD does not match \(manifest.file); `kcdctl apply` would make these changes:\n\n" + PlanText.render(plan))
            }
            return plan.isEmpty ? 0 : 2
        }
    }
}
