import ArgumentParser
import KCDCore

extension Kcdctl {
    struct Plan: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the minimal change that makes AD match the manifest. Writes nothing.")

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions

        @Option(help: "text or json.")
        var format: OutputFormat = .text

        @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when there is nothing to change, 2 when there is, 1 on error.")
        var detailedExitcode = false

        func execute() throws -> Int32 {
            let session = try Session.open(manifest: manifest.file, directory)
            let plan = try session.reconciliation.plan()
            session.logCounters()
            switch format {
            case .json: Terminal.out(PlanJSON.render(plan))
            case .text: Terminal.out(session.header + PlanText.render(plan))
            }
            return detailedExitcode && !plan.isEmpty ? 2 : 0
        }
    }
}
