import Foundation
import Testing

/// The multi-DC lab (Tests/dc/multi-dc-up.sh, `make test-multidc`): two replicating Samba AD DCs, mdc1 and mdc2,
/// and a dnsmasq with their SRV records, in a network namespace that the tests run inside. Found through the
/// env file the lab writes in $KCDCTL_MULTIDC_DIR; the helpers it names stop and start DCs, swap the SRV
/// priorities and pause replication. Tests create their own uniquely named computers in the one shared domain.
struct MultiDCLab: Sendable {
    let folder: String
    let domain: String
    let baseDN: String
    let bindDN: String
    let passwordFile: String
    let caFile: String
    let krb5Config: String
    /// mdc1's and mdc2's host names (mdc1: SRV priority 0 and the PDC emulator; mdc2: priority 10).
    let dc1: String
    let dc2: String
    /// A site whose SRV records name mdc2 only.
    let branchSite: String
    let helpers: String

    static let folder = ProcessInfo.processInfo.environment["KCDCTL_MULTIDC_DIR"]
    static var isUp: Bool { folder != nil }

    /// The lab of $KCDCTL_MULTIDC_DIR; set but unusable is a failure, not a skip.
    static func load() throws -> MultiDCLab {
        guard let folder else { throw LabFailure("KCDCTL_MULTIDC_DIR is unset") }
        guard let text = try? String(contentsOfFile: folder + "/env", encoding: .utf8) else {
            throw LabFailure("no env file in \(folder): the multi-DC lab is not up (Tests/dc/multi-dc-up.sh)")
        }
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { env[kv[0]] = kv[1] }
        }
        func value(_ key: String) throws -> String {
            guard let v = env[key] else { throw LabFailure("\(key) missing from \(folder)/env") }
            return v
        }
        return MultiDCLab(
            folder: folder, domain: try value("KCDCTL_TEST_DOMAIN"), baseDN: try value("KCDCTL_TEST_BASE_DN"),
            bindDN: try value("KCDCTL_TEST_BIND_DN"), passwordFile: try value("KCDCTL_TEST_PASSWORD_FILE"),
            caFile: try value("KCDCTL_TEST_CA_FILE"), krb5Config: try value("KCDCTL_TEST_KRB5_CONFIG"),
            dc1: try value("KCDCTL_MULTIDC_DC1"), dc2: try value("KCDCTL_MULTIDC_DC2"),
            branchSite: try value("KCDCTL_MULTIDC_BRANCH_SITE"), helpers: try value("KCDCTL_MULTIDC_HELPERS"))
    }

    var srvRecord: String { "_ldap._tcp.dc._msdcs.\(domain)" }

    // MARK: The lab's helpers

    /// `multi-dc/<script> <arguments>`, e.g. `helper("dc.sh", "stop", "mdc1")`; fails the test when it fails.
    func helper(_ script: String, _ arguments: String...) throws {
        let r = try runProgram([helpers + "/" + script] + arguments, environment: ["KCDCTL_MULTIDC_DIR": folder])
        guard r.status == 0 else { throw LabFailure("\(script) \(arguments.joined(separator: " ")): \(r.stderr)") }
    }

    func stop(_ dc: String) throws { try helper("dc.sh", "stop", shortName(dc)) }
    func start(_ dc: String) throws { try helper("dc.sh", "start", shortName(dc)) }
    func srv(_ order: String) throws { try helper("srv.sh", order) }
    func shortName(_ dc: String) -> String { String(dc.split(separator: ".")[0]) }

    // MARK: LDAP, as an administrator would check each DC

    func dn(_ name: String) -> String { "CN=\(name),CN=Computers,\(baseDN)" }

    /// An LDAP client (ldapsearch, ldapmodify, ldapadd) as the service account over LDAPS to one DC.
    func ldap(_ tool: String, _ dc: String, _ arguments: [String], input: String? = nil) throws -> RunResult {
        var file: String?
        if let input {
            file = NSTemporaryDirectory() + "kcdctl-mdc-\(UUID().uuidString).ldif"
            try input.write(toFile: file!, atomically: true, encoding: .utf8)
        }
        defer { if let file { try? FileManager.default.removeItem(atPath: file) } }
        return try runProgram(
            [tool, "-x", "-o", "nettimeout=5", "-H", "ldaps://\(dc)", "-D", bindDN, "-y", passwordFile]
                + (file.map { ["-f", $0] } ?? []) + arguments,
            environment: ["LDAPTLS_CACERT": caFile])
    }

    /// Computer accounts like Hyper-V hosts (HOST/ and Migration Service SPNs, dNSHostName), added on `dc`.
    func addComputers(_ names: [String], on dc: String) throws {
        let ldif = names.map { name in
            let fqdn = "\(name.lowercased()).\(domain)"
            return """
                dn: \(dn(name))
                objectClass: computer
                sAMAccountName: \(name)$
                userAccountControl: 4096
                dNSHostName: \(fqdn)
                servicePrincipalName: HOST/\(name)
                servicePrincipalName: HOST/\(fqdn)
                servicePrincipalName: Microsoft Virtual System Migration Service/\(name)
                servicePrincipalName: Microsoft Virtual System Migration Service/\(fqdn)

                """
        }.joined(separator: "\n")
        let r = try ldap("ldapadd", dc, [], input: ldif)
        guard r.status == 0 else { throw LabFailure("ldapadd on \(dc) failed: \(r.stderr)") }
    }

    /// The values of one attribute of a computer as `dc` holds them, or nil when `dc` does not have it.
    func values(_ attribute: String, of name: String, on dc: String) throws -> [String]? {
        let r = try ldap("ldapsearch", dc, ["-LLL", "-o", "ldif-wrap=no", "-b", dn(name), "-s", "base", attribute])
        if r.status == 32 { return nil }
        guard r.status == 0 else { throw LabFailure("ldapsearch on \(dc) failed (\(r.status)): \(r.stderr)") }
        let prefix = attribute + ": "
        return r.stdout.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map {
            String($0.dropFirst(prefix.count))
        }
        .sorted()
    }

    /// Waits until `condition` holds, up to `seconds`; how long it took, or nil.
    func waitFor(seconds: Double, _ condition: () throws -> Bool) rethrows -> Double? {
        let start = Date()
        while true {
            if try condition() { return Date().timeIntervalSince(start) }
            if Date().timeIntervalSince(start) > seconds { return nil }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Waits until `dc` has the computers, replication forced first (`repl.sh sync`: a test's set-up need not wait
    /// for the next periodic pull; the replication test itself does not force it); fails after 60 s.
    func waitForComputers(_ names: [String], on dc: String) throws {
        try helper("repl.sh", "sync")
        let took = try waitFor(seconds: 60) {
            try names.allSatisfy { try values("dNSHostName", of: $0, on: dc) != nil }
        }
        guard took != nil else { throw LabFailure("\(names) did not reach \(dc) in 60 s") }
    }

    // MARK: Manifests and kcdctl

    /// A manifest with `directory.domain` only (no uri, no baseDN): DCs found through DNS SRV. With `uri`, it
    /// names that one DC (and the base DN): every write goes there.
    func manifest(hosts: [String], site: String? = nil, uri: String? = nil, mode: String = "any-protocol") throws
        -> String
    {
        let file = NSTemporaryDirectory() + "kcdctl-mdc-\(UUID().uuidString).yaml"
        try """
        version: 1
        directory:
          domain: \(domain)
        \(site.map { "  site: \($0)" } ?? "")
        \(uri.map { "  uri: \($0)\n  baseDN: \(baseDN)" } ?? "")
          tls: { caFile: \(caFile) }
          auth:
            bindDN: \(bindDN)
            passwordFile: \(passwordFile)
        clusters:
          - name: c
            mode: \(mode)
            hosts: [\(hosts.joined(separator: ", "))]

        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The built kcdctl (KCDCTL_BIN, else .build/debug/kcdctl), with nothing of the caller's directory settings.
    func kcdctl(_ arguments: String...) throws -> RunResult {
        let binary =
            ProcessInfo.processInfo.environment["KCDCTL_BIN"] ?? MultiDCLab.packageRoot + "/.build/debug/kcdctl"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw LabFailure("no kcdctl binary at \(binary): `make test-multidc` builds it")
        }
        return try runProgram(
            [binary] + arguments, environment: ["KRB5_CONFIG": krb5Config],
            removing: [
                "KCDCTL_BIND_PASSWORD", "KCDCTL_URI", "KCDCTL_BASE_DN", "KCDCTL_KEYTAB", "KCDCTL_PRINCIPAL",
                "KCDCTL_MANIFEST", "KRB5CCNAME",
            ])
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Names no other test uses: a short random prefix and the suffixes given.
    static func names(_ suffixes: String...) -> [String] {
        let prefix = "m" + String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        return suffixes.map { prefix + $0 }
    }
}

struct LabFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program (a path, or a name looked up on PATH) with stdin empty; output through files.
func runProgram(_ arguments: [String], environment: [String: String] = [:], removing: [String] = []) throws
    -> RunResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0].contains("/") ? arguments[0] : "/usr/bin/env")
    process.arguments = arguments[0].contains("/") ? Array(arguments.dropFirst()) : arguments
    var env = ProcessInfo.processInfo.environment
    for key in removing { env[key] = nil }
    env.merge(environment) { $1 }
    process.environment = env
    let out = NSTemporaryDirectory() + "kcdctl-mdc-out-\(UUID().uuidString)"
    let err = out + ".err"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: err)
    }
    process.standardOutput = FileHandle(forWritingAtPath: out)
    process.standardError = FileHandle(forWritingAtPath: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return RunResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
}
