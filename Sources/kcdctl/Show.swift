import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Show: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the current delegation settings of computers in AD, or what a saved plan holds.",
            discussion: """
                The directory and credentials come from the manifest (-f, or env KCDCTL_MANIFEST). Given a saved \
                plan instead (`kcdctl show PLAN.json`, or --plan; an argument with a '.' or '/' is a file, never a \
                computer name), nothing is read from AD: the plan is checked as apply checks it (format, checksum) \
                and shown as text with the manifest it was made from, as JSON, or as Markdown (--format).
                """)

        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The manifest (YAML) naming the directory.", valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var detail: DetailOption

        @Option(name: .customLong("plan"), help: ArgumentHelp("A saved plan to show, with the manifest inside it.", valueName: "PLAN.json"))
        var planFile: String?

        @Option(help: "For a saved plan: text, json or markdown.")
        var format: Plan.Format = .text

        @Argument(help: ArgumentHelp("Computer names (sAMAccountName without the $), or one saved plan.", valueName: "HOST | PLAN.json"))
        var hosts: [String] = []

        /// The saved plan to show: --plan, or a lone argument that cannot be a computer name.
        var savedPlan: String? {
            planFile ?? (hosts.count == 1 && hosts[0].contains(where: { $0 == "." || $0 == "/" }) ? hosts[0] : nil)
        }

        func validate() throws {
            if planFile != nil && !hosts.isEmpty { throw ValidationError("--plan shows a saved plan: name no computers") }
            if savedPlan == nil && hosts.isEmpty { throw ValidationError("name at least one computer, or a saved plan") }
            if savedPlan == nil && format != .text { throw ValidationError("--format is for a saved plan") }
        }

        func execute() throws -> ExitStatus {
            if let savedPlan { return try showPlan(savedPlan) }
            guard let path = file ?? ProcessInfo.processInfo.environment["KCDCTL_MANIFEST"] else {
                throw UsageError("no manifest: pass -f FILE or set KCDCTL_MANIFEST (show takes the directory settings from it)")
            }
            let session = try Session.open(manifest: path, directory)
            let found = try session.directory.computers(named: hosts)
            session.logCounters()
            var status = ExitStatus.success
            var sections: [String] = []
            for host in hosts {
                if let computer = found.first(where: { $0.name.lowercased() == host.lowercased() }) {
                    sections.append(ComputerText.render(computer))
                } else {
                    Terminal.err("kcdctl: error: \(host): no computer object named \(host)$ under \(session.baseDN)\n")
                    status = .failure
                }
            }
            Terminal.out(sections.joined(separator: "\n"))
            return status
        }
    
        func showPlan(_ path: String) throws -> ExitStatus {
            let document: PlanDocument
            do {
                document = try PlanDocument.decode(try RegularFile.read(path, what: "saved plan", limit: PlanDocument.maximumFileSize))
            } catch let error as PlanDocumentError {
                throw UsageError("\(path): \(error)")
            }
            let plan = try document.plan
            switch format {
            case .json:
                Terminal.out(document.encoded())
                return .success
            case .markdown:
                let manifest = try ManifestLoader.load(contents: Array(document.manifest.content.utf8), path: document.manifest.path)
                Terminal.out(PlanMarkdown.render(plan, manifest: manifest, directory: "\(document.directory.uri) (\(document.directory.baseDN))"))
                return .success
            case .text: break
            }
            let signature = document.signature.map { "signed by \($0.key) (apply --verify-key checks it)" } ?? "not signed"
            var out = """
                Plan \(path): made \(document.createdAt) by kcdctl \(document.kcdctlVersion), sha256 \(document.sha256 ?? ""), \(signature).
                Directory \(document.directory.uri) (\(document.directory.baseDN))\(document.targets.map { "; limited to \($0.joined(separator: ", "))" } ?? "").
                Manifest \(document.manifest.path) (sha256 \(document.manifest.sha256)), as the plan holds it:

                """
            for line in document.manifest.content.split(separator: "\n", omittingEmptySubsequences: false) {
                out += "  | \(Printable.escape(String(line)))\n"
            }
            Terminal.out(out + "\n")
            PlanText.write(plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
            return .success
        }
    }
}
