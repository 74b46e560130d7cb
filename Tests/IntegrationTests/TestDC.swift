import Foundation
import KCDCore
import KCDLDAP
import Logging
import Testing

/// The Samba AD DC that `make test` starts (Tests/dc/dc-up.sh), found through the env file it writes.
/// Tests create their own uniquely named computers in it, so they share one domain without stepping
/// on each other.
struct TestDC: Sendable {
    let uri: String
    let baseDN: String
    let domain: String
    let bindDN: String
    let passwordFile: String
    let caFile: String
    let folder: String
    /// `ldap://<DC FQDN>`, for GSSAPI.
    let ldapURI: String
    let keytab: String
    let principal: String
    let krb5Config: String
    let readerDN: String
    let readerPasswordFile: String

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let dcFolder = ProcessInfo.processInfo.environment["KCDCTL_DC_DIR"] ?? "/tmp/kcdctl-dc"
    static let required = ProcessInfo.processInfo.environment["KCDCTL_REQUIRE_DC"] == "1"

    /// Nil, with a loud line on stderr, when no DC answers.
    static let shared: TestDC? = {
        let dc = load()
        if dc == nil {
            let banner = String(repeating: "!", count: 78)
            FileHandle.standardError.write(
                Data(
                    """
                    \(banner)
                    !! NO TEST DOMAIN CONTROLLER: the integration tests against Samba AD are SKIPPED.
                    !! `make test` starts one (Tests/dc/dc-up.sh); found nothing usable in \(dcFolder).
                    \(banner)

                    """.utf8))
        }
        return dc
    }()

    static var isAvailable: Bool { shared != nil }

    static func load() -> TestDC? {
        guard let text = try? String(contentsOfFile: dcFolder + "/env", encoding: .utf8) else { return nil }
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { env[kv[0]] = kv[1] }
        }
        guard let uri = env["KCDCTL_TEST_URI"], let baseDN = env["KCDCTL_TEST_BASE_DN"],
            let domain = env["KCDCTL_TEST_DOMAIN"],
            let bindDN = env["KCDCTL_TEST_BIND_DN"], let passwordFile = env["KCDCTL_TEST_PASSWORD_FILE"],
            let caFile = env["KCDCTL_TEST_CA_FILE"], let ldapURI = env["KCDCTL_TEST_LDAP_URI"],
            let keytab = env["KCDCTL_TEST_KEYTAB"], let principal = env["KCDCTL_TEST_PRINCIPAL"],
            let krb5Config = env["KCDCTL_TEST_KRB5_CONFIG"], let readerDN = env["KCDCTL_TEST_READER_DN"],
            let readerPasswordFile = env["KCDCTL_TEST_READER_PASSWORD_FILE"]
        else { return nil }
        let dc = TestDC(
            uri: uri, baseDN: baseDN, domain: domain, bindDN: bindDN, passwordFile: passwordFile,
            caFile: caFile, folder: dcFolder, ldapURI: ldapURI, keytab: keytab, principal: principal,
            krb5Config: krb5Config, readerDN: readerDN, readerPasswordFile: readerPasswordFile)
        return (try? dc.connect()) == nil ? nil : dc
    }

    /// A bound connection as the test service account.
    func connect() throws -> LDAPConnection {
        let connection = try LDAPConnection(
            uri: uri, tls: .init(caFile: caFile), timeout: 10, logger: Logger(label: "test"))
        try connection.bindSimple(dn: bindDN, password: try Secret(contentsOfFile: passwordFile))
        return connection
    }

    func directory(batchSize: Int = 256) throws -> ActiveDirectory {
        ActiveDirectory(connection: try connect(), baseDN: baseDN, batchSize: batchSize)
    }

    func dn(_ name: String) -> String { "CN=\(name),CN=Computers,\(baseDN)" }

    /// Computer accounts like Hyper-V hosts (HOST/ and Migration Service SPNs, dNSHostName), in one LDAP add.
    /// With `keys`, each gets a password, so that the KDC issues tickets for it and its keytab can be exported.
    func addComputers(_ names: [String], keys: Bool = false) throws {
        let r = try run([TestDC.packageRoot + "/Tests/dc/add-computers.sh"] + (keys ? ["--with-keys"] : []) + names)
        guard r.status == 0 else { throw TestFailure("add-computers failed: \(r.stderr)") }
    }

    var realm: String { String(principal.split(separator: "@")[1]) }

    /// The computer's keytab (mode 0600), exported from the DC's database.
    func exportKeytab(_ name: String) throws -> String {
        let r = try run([TestDC.packageRoot + "/Tests/dc/export-keytab.sh", name])
        guard r.status == 0 else { throw TestFailure("export-keytab failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A user (with a password); `sensitive` sets NOT_DELEGATED; `protectedVia` puts the user in a new group of
    /// that name which is made a member of Protected Users.
    func addUser(_ name: String, sensitive: Bool = false, protectedVia group: String? = nil) throws {
        let password = Data(
            "\"User-\(UUID().uuidString.prefix(12))!\"".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        ).base64EncodedString()
        let dn = "CN=\(name),CN=Users,\(baseDN)"
        var ldif =
            "dn: \(dn)\nchangetype: add\nobjectClass: user\nsAMAccountName: \(name)\nunicodePwd:: \(password)\nuserAccountControl: \(sensitive ? 0x100200 : 0x200)\n\n"
        if let group {
            let groupDN = "CN=\(group),CN=Users,\(baseDN)"
            ldif += "dn: \(groupDN)\nchangetype: add\nobjectClass: group\nsAMAccountName: \(group)\nmember: \(dn)\n\n"
            ldif += "dn: CN=Protected Users,CN=Users,\(baseDN)\nchangetype: modify\nadd: member\nmember: \(groupDN)\n"
        }
        try ldapModify(ldif)
    }

    /// Changes made behind kcdctl's back, as an administrator would with ldapmodify.
    func ldapModify(_ ldif: String) throws {
        let file = NSTemporaryDirectory() + "kcdctl-test-\(UUID().uuidString).ldif"
        try ldif.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try run(
            ["ldapmodify", "-x", "-H", uri, "-D", bindDN, "-y", passwordFile, "-f", file],
            environment: ["LDAPTLS_CACERT": caFile])
        guard r.status == 0 else { throw TestFailure("ldapmodify failed: \(r.stderr)") }
    }

    func setUserAccountControl(_ name: String, _ uac: UserAccountControl) throws {
        try ldapModify(
            "dn: \(dn(name))\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: \(uac.ldapValue)\n")
    }

    func addValues(_ name: String, _ values: [String]) throws {
        try ldapModify(
            "dn: \(dn(name))\nchangetype: modify\nadd: msDS-AllowedToDelegateTo\n"
                + values.map { "msDS-AllowedToDelegateTo: \($0)\n" }.joined())
    }

    /// The computers as the directory has them now, by name.
    func read(_ names: [String]) throws -> [String: ObservedComputer] {
        let found = try directory().computers(named: names)
        return Dictionary(uniqueKeysWithValues: found.map { ($0.name, $0) })
    }

    /// The `directory:` block binding as svc-kcd with a password over LDAPS.
    var simpleDirectory: String {
        """
        directory:
          uri: \(uri)
          baseDN: \(baseDN)
          tls: { caFile: \(caFile) }
          auth:
            bindDN: \(bindDN)
            passwordFile: \(passwordFile)
        """
    }

    /// The `directory:` block binding as svc-kcd with GSSAPI, from its keytab unless `keytab` is false.
    func gssapiDirectory(keytab: Bool = true) -> String {
        """
        directory:
          uri: \(ldapURI)
          baseDN: \(baseDN)
          auth:
            method: gssapi
            principal: \(principal)
        \(keytab ? "    keytab: \(self.keytab)" : "")
        """
    }

    /// A manifest file for this DC: a `directory:` block and `clusters:` entries (YAML, indented by two).
    func manifest(_ clusters: String, directory: String? = nil) throws -> String {
        let file = NSTemporaryDirectory() + "kcdctl-test-\(UUID().uuidString).yaml"
        try "version: 1\n\(directory ?? simpleDirectory)\nclusters:\n\(clusters)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// One cluster, with the defaults unless told.
    func manifest(hosts: [String], mode: DelegationMode = .anyProtocol, more: String = "", directory: String? = nil)
        throws -> String
    {
        try manifest(
            """
              - name: c
                mode: \(mode.rawValue)
                hosts: [\(hosts.joined(separator: ", "))]
            \(more)
            """, directory: directory)
    }

    /// Names no other test uses: a short random prefix and the suffixes given.
    static func names(_ suffixes: String...) -> [String] {
        let prefix = "k" + String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        return suffixes.map { prefix + $0 }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program with stdin not a terminal (`input`, or nothing); output goes through files, so size does not matter.
func run(_ arguments: [String], environment: [String: String] = [:], removing: [String] = [], input: String? = nil)
    throws -> RunResult
{
    try Running(arguments, environment: environment, removing: removing, input: input).wait()
}

/// A program started and not yet waited for.
final class Running {
    let process = Process()
    private let out = NSTemporaryDirectory() + "kcdctl-out-\(UUID().uuidString)"
    private var err: String { out + ".err" }

    init(_ arguments: [String], environment: [String: String] = [:], removing: [String] = [], input: String? = nil)
        throws
    {
        process.executableURL = URL(fileURLWithPath: arguments[0].contains("/") ? arguments[0] : "/usr/bin/env")
        process.arguments = arguments[0].contains("/") ? Array(arguments.dropFirst()) : arguments
        var env = ProcessInfo.processInfo.environment
        for key in removing { env[key] = nil }
        env.merge(environment) { $1 }
        env["KCDCTL_DC_DIR"] = TestDC.dcFolder
        if let dc = TestDC.shared { env["KRB5_CONFIG"] = env["KRB5_CONFIG"] ?? dc.krb5Config }
        process.environment = env
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
    }

    func wait() -> RunResult {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        return RunResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

/// The built kcdctl, started without waiting.
func startKcdctl(_ arguments: [String], environment: [String: String] = [:]) throws -> Running {
    try Running(
        [try kcdctlBinary()] + arguments, environment: environment,
        removing: [
            "KCDCTL_BIND_PASSWORD", "KCDCTL_URI", "KCDCTL_BASE_DN", "KCDCTL_KEYTAB", "KCDCTL_PRINCIPAL", "KRB5CCNAME",
        ])
}

/// The built kcdctl (`make test` builds it first), without any password in its environment.
func kcdctl(_ arguments: String..., environment: [String: String] = [:]) throws -> RunResult {
    try startKcdctl(arguments, environment: environment).wait()
}

/// The built kcdctl on a terminal (util-linux `script` gives it one), answering its prompt with `answer`.
func kcdctlOnATerminal(_ arguments: [String], answer: String) throws -> RunResult {
    let command = ([try kcdctlBinary()] + arguments).map { "'\($0)'" }.joined(separator: " ")
    return try run(
        ["script", "-qec", command, "/dev/null"], removing: ["KCDCTL_BIND_PASSWORD", "NO_COLOR"], input: answer + "\n")
}

func kcdctlBinary() throws -> String {
    let binary = ProcessInfo.processInfo.environment["KCDCTL_BIN"] ?? TestDC.packageRoot + "/.build/debug/kcdctl"
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw TestFailure("no kcdctl binary at \(binary): run `swift build` first (make test does)")
    }
    return binary
}
