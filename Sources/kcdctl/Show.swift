import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Show: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the current delegation settings of computers in AD, or what a saved plan holds.",
            discussion: """
                The directory and credentials come from the manifest (-f, else env KCDCTL_MANIFEST, else /etc/kcdctl/kcdctl.yaml). Given a saved \
                plan instead (`kcdctl show PLAN.json`, or --plan; an argument with a '.' or '/' is a file, never a \
                computer name), nothing is read from AD: the plan is checked as apply checks it (format, checksum) \
                and shown as text with the manifest it was made from, as JSON, or as Markdown (--format).
                """)

        @Option(
            name: [.short, .customLong("file")],
            help: ArgumentHelp(
                "The manifest (YAML) naming the directory. Default: env KCDCTL_MANIFEST, else /etc/kcdctl/kcdctl.yaml.",
                valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var detail: DetailOption

        @Option(
            name: .customLong("plan"),
            help: ArgumentHelp("A saved plan to show, with the manifest inside it.", valueName: "PLAN.json"))
        var planFile: String?

        @Option(help: "For a saved plan: text, json or markdown.")
        var format: Plan.Format = .text

        @Argument(
            help: ArgumentHelp(
                "Computer names (sAMAccountName without the $), or one saved plan.", valueName: "HOST | PLAN.json"))
        var hosts: [String] = []

        /// The saved plan to show: --plan, or a lone argument that cannot be a computer name.
        var savedPlan: String? {
            planFile ?? (hosts.count == 1 && hosts[0].contains(where: { $0 == "." || $0 == "/" }) ? hosts[0] : nil)
        }

        func validate() throws {
            if planFile != nil && !hosts.isEmpty {
                throw ValidationError("--plan shows a saved plan: name no computers")
            }
            if savedPlan == nil && hosts.isEmpty {
                throw ValidationError("name at least one computer, or a saved plan")
            }
            if savedPlan == nil && format != .text { throw ValidationError("--format is for a saved plan") }
        }

        func execute() throws -> ExitStatus {
            if let savedPlan { return try showPlan(savedPlan) }
            let session = try Session.open(manifest: try ManifestOption.path(file), directory)
            let found = try session.directory.computers(named: hosts)
            let owners = try session.directory.accounts(withSIDs: ShowText.grantedSIDs(found))
            session.logCounters()
            let (out, errors) = ShowText.computers(hosts, found: found, baseDN: session.baseDN, owners: owners)
            errors.forEach(Terminal.err)
            Terminal.out(out)
            return errors.isEmpty ? .success : .failure
        }

        func showPlan(_ path: String) throws -> ExitStatus {
            let document = try PlanDocument.load(path)
            let plan = try document.plan
            switch format {
            case .json: Terminal.out(document.encoded())
            case .markdown:
                let manifest = try ManifestLoader.load(
                    contents: Array(document.manifest.content.utf8), path: document.manifest.path)
                Terminal.out(
                    PlanMarkdown.render(
                        plan, manifest: manifest, directory: "\(document.directory.uri) (\(document.directory.baseDN))")
                )
            case .text:
                Terminal.out(ShowText.savedPlanHeader(document, path: path))
                PlanText.write(plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
            }
            return .success
        }
    }
}
