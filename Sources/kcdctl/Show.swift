import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Show: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the current delegation settings of computers in AD.",
            discussion: "The directory and credentials come from the manifest (-f, or env KCDCTL_MANIFEST).")

        @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The manifest (YAML) naming the directory.", valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions

        @Argument(help: "Computer names (sAMAccountName without the $).")
        var hosts: [String]

        func validate() throws {
            guard !hosts.isEmpty else { throw ValidationError("name at least one computer") }
        }

        func execute() throws -> Int32 {
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
    }
}
