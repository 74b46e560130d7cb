import ArgumentParser
import Foundation
import KCDCore

struct ManifestOption: ParsableArguments {
    @Option(
        name: [.short, .customLong("file")],
        help: ArgumentHelp(
            "The manifest (YAML). Default: env KCDCTL_MANIFEST, else /etc/kcdctl/kcdctl.yaml.", valueName: "FILE"))
    var file: String?

    /// The manifest to read: -f, KCDCTL_MANIFEST or the default, which must then exist.
    func path() throws -> String {
        try Self.path(file)
    }

    static func path(_ flag: String?) throws -> String {
        if let named = ManifestLocation.named(flag: flag, environment: ProcessInfo.processInfo.environment) {
            return named
        }
        // Only a default that is not there is "no manifest"; one that cannot be read (a user outside the group
        // kcdctl) is the loader's to report, with the reason.
        var info = stat()
        let path = ManifestLocation.defaultPath
        if stat(path, &info) != 0, errno == ENOENT || errno == ENOTDIR { throw ManifestLocation.notFound }
        return path
    }
}

struct DirectoryOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "One DC's URI, overriding directory.uri (env KCDCTL_URI); without any, the DCs of directory.domain are found through DNS.",
            valueName: "URI"))
    var uri: String?

    @Option(
        name: .customLong("base-dn"),
        help: ArgumentHelp("Search base, overriding directory.baseDN (env KCDCTL_BASE_DN).", valueName: "DN"))
    var baseDN: String?

    @Option(
        help: ArgumentHelp(
            "gssapi: keytab to obtain credentials from, overriding directory.auth.keytab (env KCDCTL_KEYTAB).",
            valueName: "FILE"))
    var keytab: String?

    @Option(
        help: ArgumentHelp(
            "gssapi: client principal, overriding directory.auth.principal (env KCDCTL_PRINCIPAL).", valueName: "NAME"))
    var principal: String?

    @Option(help: ArgumentHelp("Seconds allowed for connecting and for each LDAP operation.", valueName: "SECONDS"))
    var timeout: Double = 30

    @Flag(name: .shortAndLong, help: "Show the LDAP operations on stderr (never a secret).")
    var verbose = false

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct TargetOption: ParsableArguments {
    @Option(
        name: .customLong("target"),
        help: ArgumentHelp("Limit to this host (repeatable), for staged rollouts.", valueName: "HOST"))
    var hosts: [String] = []

    /// nil when no --target was given.
    var targets: [String]? { hosts.isEmpty ? nil : hosts }
}

/// Commands report their own errors: one line on stderr, then exit 1. No stack traces, no `error 1`.
protocol KcdctlCommand: ParsableCommand {
    /// Returns the exit status.
    func execute() throws -> ExitStatus
}

extension KcdctlCommand {
    func run() throws {
        let status: ExitStatus
        do {
            status = try execute()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

struct DetailOption: ParsableArguments {
    @Flag(
        help:
            "List every value of every host. Text plans of more than 20 hosts are otherwise compact: hosts with the same change are one entry, with at most 8 values of each kind shown."
    )
    var detailed = false
}
