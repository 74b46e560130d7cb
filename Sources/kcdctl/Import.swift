import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Import: KcdctlCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Write the manifest that declares the delegation AD holds now. Writes nothing to AD.",
            discussion: """
                Finds the Hyper-V hosts (computers registering Microsoft Virtual System Migration Service/…, or \
                --hosts) and what their msDS-AllowedToDelegateTo names, infers clusters, mode, services, name forms, \
                SMB storage and extra targets, and writes a manifest whose first plan is empty for a consistent \
                estate. Every inference and finding is a comment in the YAML. The input is a manifest with only a \
                directory: block (-f), or --uri and --base-dn with a Kerberos bind (--keytab/--principal or kinit). \
                See docs/adopting.md.
                """)

        @Option(
            name: [.short, .customLong("file")],
            help: ArgumentHelp(
                "A manifest with the directory: block to read from (clusters, if any, are ignored). Default: env KCDCTL_MANIFEST, else --uri/--base-dn with a Kerberos bind, else /etc/kcdctl/kcdctl.yaml.",
                valueName: "FILE"))
        var file: String?

        @OptionGroup var directory: DirectoryOptions

        @Option(
            help: ArgumentHelp(
                "Write the manifest here (a new file: see --force). Without it the YAML goes to stdout.",
                valueName: "MANIFEST.yaml"))
        var out: String?

        @Flag(help: "Replace the --out file if it exists (a symlink there is replaced, not followed).")
        var force = false

        @Option(
            help: ArgumentHelp(
                "Start from these hosts only (comma-separated), then follow their delegation.", valueName: "HV01,HV02"
            ))
        var hosts: String?

        @Option(
            name: .customLong("search-base"),
            help: ArgumentHelp(
                "Look for Hyper-V hosts under this DN only (their peers and storage are followed wherever they are).",
                valueName: "DN"))
        var searchBase: String?

        @Option(help: "text (the YAML, or with --out a summary) or json (the discovered graph and findings).")
        var format: OutputFormat = .text

        func validate() throws {
            if hosts != nil && searchBase != nil {
                throw ValidationError("--hosts and --search-base each choose where to start: give one of them")
            }
            if force && out == nil { throw ValidationError("--force replaces the --out file: add --out MANIFEST.yaml") }
            for name in hostList ?? [] {
                if let problem = ManifestLoader.computerNameProblem(name) {
                    throw ValidationError("--hosts: \(problem)")
                }
            }
            if hostList?.isEmpty == true { throw ValidationError("--hosts names no host") }
        }

        var hostList: [String]? {
            hosts.map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }

        func execute() throws -> ExitStatus {
            let (input, path) = try inputManifest()
            let environment = ProcessInfo.processInfo.environment
            let resolved = try ConnectionSettings.resolveDirectory(
                manifest: input, path: path,
                flags: .init(
                    uri: directory.uri, baseDN: directory.baseDN, keytab: directory.keytab,
                    principal: directory.principal),
                environment: environment)
            if !input.clusters.isEmpty {
                Terminal.warn("\(path) declares clusters: import ignores them and writes what AD holds")
            }
            let started = Date()
            let session = try Session.open(input, path: path, directory)
            let scope: ImportScope = hostList.map { .named($0) } ?? .registering(searchBase: searchBase)
            var template = input
            // The written manifest connects as the input did: the URI named (flag, env or manifest), or discovery
            // in directory.domain; the base DN given, or none (read from the DC's rootDSE).
            template.directory = resolved.directory
            if case let .uri(uri, _) = resolved.locator { template.directory.uri = uri }
            template.directory.baseDN = resolved.baseDN
            let (observation, result) = try Importer.run(
                session.directory, scope: scope, template: template, domain: session.domain)
            session.logger.debug(
                "import read",
                metadata: [
                    "searches": "\(session.connection.counters.searchRequests)",
                    "hosts": "\(observation.hosts.count)", "others": "\(observation.others.count)",
                    "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
                ])
            session.logCounters()

            guard !result.manifest.clusters.isEmpty || (format == .json && out == nil) else {
                let unplaced = result.unplaced.map(\.name).joined(separator: ", ")
                throw UsageError(
                    "no Hyper-V host delegates to anything in \(session.baseDN)\(unplaced.isEmpty ? "" : " (hosts without delegation: \(unplaced))"): no cluster to write; nothing was written. See docs/adopting.md."
                )
            }
            let yaml = ImportYAML.render(result)
            if !result.manifest.clusters.isEmpty {
                // What is written must read back: a failure here is a bug in import, never a file to fix by hand.
                _ = try ManifestLoader.parse(yaml, file: out ?? "(import)")
            }
            if let out { try ManifestFile.write(out, yaml, force: force) }
            switch (format, out) {
            case (.json, _): Terminal.out(ImportJSON.render(result))
            case (.text, nil):
                Terminal.out(yaml)
                Terminal.err(result.summary.map { $0 + "\n" }.joined())
            case (.text, let out?): Terminal.out(ImportText.render(result, writtenTo: out))
            }
            return .success
        }

        /// The manifest whose directory: block to use, and its path for messages: -f, KCDCTL_MANIFEST, else
        /// --uri/--base-dn (flags or environment) with a Kerberos bind, else the default manifest.
        func inputManifest() throws -> (Manifest, String) {
            let environment = ProcessInfo.processInfo.environment
            if let named = ManifestLocation.named(flag: file, environment: environment) {
                return (try ManifestLoader.loadDirectoryOnly(path: named), named)
            }
            let uri = directory.uri ?? environment[ConnectionSettings.Variable.uri]
            let baseDN = directory.baseDN ?? environment[ConnectionSettings.Variable.baseDN]
            if uri != nil || baseDN != nil {
                return (
                    Manifest(
                        directory: DirectorySettings(uri: uri, baseDN: baseDN, auth: AuthSettings(method: .gssapi)),
                        clusters: []),
                    "the command line"
                )
            }
            let path = try ManifestOption.path(nil)
            return (try ManifestLoader.loadDirectoryOnly(path: path), path)
        }
    }
}
