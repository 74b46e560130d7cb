import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Show: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the current delegation settings of computers in AD, or what a saved plan holds.",
            discussion: """
                The directory and credentials come from the manifest (-f, or env KCDCTL_MANIFEST). With --plan, \
                nothing is read from AD: the saved plan is checked as apply checks it (format, checksum) and shown \
                with the manifest it was made from.
                """)

        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The manifest (YAML) naming the directory.", valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions

        @Option(name: .customLong("plan"), help: ArgumentHelp("A saved plan to show, with the manifest inside it.", valueName: "PLAN.json"))
        var planFile: String?

        @Argument(help: "Computer names (sAMAccountName without the $).")
        var hosts: [String] = []

        func validate() throws {
            guard hosts.isEmpty != (planFile == nil) else {
                throw ValidationError(planFile == nil ? "name at least one computer" : "--plan shows a saved plan: name no computers")
            }
        }

        func execute() throws -> Int32 {
            if let planFile { return try showPlan(planFile) }
            guard let path = file ?? ProcessInfo.processInfo.environment["KCDCTL_MANIFEST"] else {
                throw UsageError("no manifest: pass -f FILE or set KCDCTL_MANIFEST (show takes the directory settings from it)")
            }
            let session = try Session.open(manifest: path, directory)
            let found = try session.directory.computers(named: hosts)
            session.logCounters()
            var status: Int32 = 0
            var sections: [String] = []
            for host in hosts {
                if let computer = found.first(where: { $0.name.lowercased() == host.lowercased() }) {
                    sections.append(ComputerText.render(computer))
                } else {
                    Terminal.err("kcdctl: error: \(host): no computer object named \(host)$ under \(session.baseDN)\n")
                    status = 1
                }
            }
            Terminal.out(sections.joined(separator: "\n"))
            return status
        }
    
        func showPlan(_ path: String) throws -> Int32 {
            let document: PlanDocument
            do {
                document = try PlanDocument.decode(try RegularFile.read(path, what: "saved plan", limit: PlanDocument.maximumFileSize))
            } catch let error as PlanDocumentError {
                throw UsageError("\(path): \(error)")
            }
            let plan = try document.plan
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
            PlanText.write(plan, color: Terminal.color, to: Terminal.out)
            return 0
        }
    }
}
