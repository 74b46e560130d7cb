import ArgumentParser
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Validate: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a manifest without contacting the directory.",
            discussion: """
                Reports every problem it finds, one `FILE:LINE:COLUMN: message` per line (at most 20), and checks that \
                the files the manifest names can be used: the CA file, password file and keytab (regular files; \
                secrets readable by their owner only) and plans.verifyKey. Exit 0 valid, 1 otherwise.
                """)

        @OptionGroup var manifest: ManifestOption

        @Flag(
            name: .customLong("no-files"),
            help:
                "Check the manifest only, not the files it names (e.g. in a merge-request pipeline without the secrets)."
        )
        var noFiles = false

        func execute() throws -> ExitStatus {
            let path = try manifest.path()
            let m = try ManifestLoader.load(path: path)
            let problems = noFiles ? [] : Self.fileProblems(m)
            guard problems.isEmpty else {
                for problem in problems { Terminal.err("\(path): \(problem)\n") }
                return .failure
            }
            for warning in ValueBudget.warnings(m) { Terminal.warn("\(path): \(warning)") }
            // How many values the manifest declares does not depend on the DNS suffix.
            let values = DesiredState.expand(m, domain: "").hosts.reduce(0) { $0 + $1.targets.count }
            Terminal.out(
                "\(path): valid: \(m.clusters.count) cluster\(m.clusters.count == 1 ? "" : "s"), \(m.hosts.count) host\(m.hosts.count == 1 ? "" : "s"), \(values) delegation values declared.\n"
            )
            return .success
        }

        /// What is wrong with the files the manifest names, checked as kcdctl opens them (nothing is read).
        static func fileProblems(_ m: Manifest) -> [String] {
            m.namedFiles.compactMap { file in
                do {
                    let opened = try OpenRegularFile(file.path, what: file.key, limit: 1 << 20)
                    if file.secret { try PrivateFile.check(opened) }
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        }
    }
}
