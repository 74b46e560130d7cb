import Foundation
import KCDCore
import KCDLDAP
import Testing

/// Files that look like Kerberos credential caches in /tmp (where MIT puts FILE caches by default).
func credentialCacheFiles() -> Set<String> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
    return Set(names.filter { $0.hasPrefix("krb5cc") })
}

@Suite(
    "Authentication and TLS against the Samba AD DC",
    .enabled(if: TestDC.isAvailable, "no test DC: `make test` starts one"))
struct Authentication {
    let dc = TestDC.shared!

    @Test func gssapiFromAKeytabNeedsNoCredentialCacheAndLeavesNone() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts, directory: dc.gssapiDirectory())
        let before = credentialCacheFiles()

        let plan = try kcdctl("plan", "-f", manifest, "--detailed-exitcode", "--verbose")
        #expect(plan.status == 2, "\(plan.stderr)")
        #expect(plan.stderr.contains("LDAP GSSAPI bind done") && plan.stderr.contains("ssf=256"))
        let apply = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(apply.status == 0, "\(apply.stderr)")
        let drift = try kcdctl("drift", "-f", manifest)
        #expect(drift.status == 0, "\(drift.stderr)")
        #expect(try dc.read(hosts).values.allSatisfy { $0.allowedToDelegateTo.count == 4 })
        #expect(credentialCacheFiles() == before, "a credential cache file was written")
    }

    @Test func gssapiWithTheOperatorsTicketAndWithoutOne() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts, directory: dc.gssapiDirectory(keytab: false))
        let cache = "FILE:" + NSTemporaryDirectory() + "kcdctl-test-cc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: String(cache.dropFirst(5))) }
        let kinit = try run(
            ["kinit", "-k", "-t", dc.keytab, dc.principal],
            environment: ["KRB5CCNAME": cache, "KRB5_CONFIG": dc.krb5Config])
        try #require(kinit.status == 0, "kinit: \(kinit.stderr)")

        let whoami = try kcdctl("whoami", "-f", manifest, environment: ["KRB5CCNAME": cache])
        #expect(whoami.status == 0, "\(whoami.stderr)")
        #expect(
            whoami.stdout.contains(
                "bind:       GSSAPI (Kerberos) as \(dc.principal), credentials from credential cache \(cache)"))
        #expect(whoami.stdout.contains("protection: SASL sealing (GSSAPI), security strength factor 256"))
        #expect(try kcdctl("plan", "-f", manifest, environment: ["KRB5CCNAME": cache]).status == 0)

        let none = try kcdctl("plan", "-f", manifest, environment: ["KRB5CCNAME": "FILE:/nonexistent/cc"])
        #expect(none.status == 1)
        #expect(
            none.stderr
                == "kcdctl: error: no Kerberos ticket in KRB5CCNAME=FILE:/nonexistent/cc: run `kinit \(dc.principal)`, or set directory.auth.keytab\n"
        )
    }

    @Test func aWrongPrincipalForTheKeytabIsOneLine() throws {
        let manifest = try dc.manifest(hosts: ["HV01"], directory: dc.gssapiDirectory())
        let r = try kcdctl("whoami", "-f", manifest, "--principal", "nobody@\(dc.principal.split(separator: "@")[1])")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("kcdctl: error: cannot get a Kerberos ticket for nobody@"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func gssapiOverLDAPSIsRefusedBeforeConnecting() throws {
        let manifest = try dc.manifest(hosts: ["HV01"], directory: dc.gssapiDirectory())
        let r = try kcdctl("plan", "-f", manifest, "--uri", dc.uri)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("kcdctl: error: auth.method gssapi cannot run over \(dc.uri)"))
    }

    @Test func theCertificateIsVerifiedAgainstTheDCsCA() throws {
        let manifest = try dc.manifest(hosts: ["HV01"])
        let ok = try kcdctl("whoami", "-f", manifest)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(
            ok.stdout.contains("protection: TLS (ldaps://), certificate and name verified against CA file \(dc.caFile)")
        )

        // StartTLS on ldap:// verifies the same way.
        let startTLS = try kcdctl("whoami", "-f", manifest, "--uri", dc.ldapURI)
        #expect(startTLS.status == 0, "\(startTLS.stderr)")
        #expect(startTLS.stdout.contains("protection: StartTLS, certificate and name verified"))
    }

    @Test func aWrongCAIsOneClearLineAndInsecureSkipVerifyWarns() throws {
        let folder = NSTemporaryDirectory() + "kcdctl-ca-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let gen = try run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=some other CA",
            "-keyout", folder + "/ca.key", "-out", folder + "/ca.pem",
        ])
        try #require(gen.status == 0)
        let wrong = try dc.manifest(
            hosts: ["HV01"], directory: dc.simpleDirectory.replacingOccurrences(of: dc.caFile, with: folder + "/ca.pem")
        )
        let r = try kcdctl("whoami", "-f", wrong)
        #expect(r.status == 1)
        let host = LDAPConnection.host(of: dc.uri)
        #expect(
            r.stderr
                == "kcdctl: error: TLS: the certificate of \(dc.uri) (CN=\(host), DNS:\(host), DNS:localhost, IP:127.0.0.1) is not signed by a CA in CA file \(folder)/ca.pem, or is not valid now: set directory.tls.caFile to the CA that issued it\n"
        )

        let insecure = try dc.manifest(
            hosts: ["HV01"],
            directory: dc.simpleDirectory.replacingOccurrences(
                of: "tls: { caFile: \(dc.caFile) }", with: "tls: { caFile: \(folder)/ca.pem, insecureSkipVerify: true }"
            ))
        let skipped = try kcdctl("whoami", "-f", insecure)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(
            skipped.stderr.hasPrefix(
                "kcdctl: warning: directory.tls.insecureSkipVerify is set in \(insecure): the server's certificate is NOT verified"
            ))
        #expect(skipped.stdout.contains("certificate NOT verified"))
    }

    @Test func aNameTheCertificateDoesNotCarryIsNamed() throws {
        // libldap checks "localhost" as this machine's own name, which the DC's certificate does not carry.
        let r = try kcdctl("whoami", "-f", try dc.manifest(hosts: ["HV01"]), "--uri", "ldaps://localhost")
        #expect(r.status == 1)
        #expect(
            r.stderr.hasPrefix("kcdctl: error: TLS: the certificate of ldaps://localhost does not carry the name '"))
        #expect(r.stderr.contains("(libldap checks 'localhost' as this machine's own name) (it names CN="))
    }

    @Test func aSimpleBindOverPlainLDAPIsRefusedWithoutContactingTheServer() throws {
        // Nothing listens on port 9: had kcdctl tried to connect, the error would be "serverDown".
        let manifest = try dc.manifest(
            hosts: ["HV01"],
            directory: dc.simpleDirectory
                .replacingOccurrences(of: dc.uri, with: "ldap://127.0.0.1:9")
                .replacingOccurrences(of: "tls: { caFile: \(dc.caFile) }", with: "tls: { startTLS: false }"))
        let r = try kcdctl("plan", "-f", manifest)
        #expect(r.status == 1)
        #expect(
            r.stderr.hasPrefix(
                "\(manifest):3:8: a simple bind would send the password in clear over ldap://127.0.0.1:9"))
    }

    @Test func anUnprivilegedAccountGetsTheInsufficientAccessMessageAndChangesNothing() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(
            hosts: hosts,
            directory: dc.simpleDirectory
                .replacingOccurrences(of: dc.bindDN, with: dc.readerDN)
                .replacingOccurrences(of: dc.passwordFile, with: dc.readerPasswordFile))
        let before = try dc.read(hosts).mapValues(\.usnChanged)
        #expect(try kcdctl("plan", "-f", manifest).status == 0, "reading needs no privilege")
        let r = try kcdctl("apply", "-f", manifest, "--auto-approve")
        #expect(r.status == 1)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(
            first.hasPrefix(
                "kcdctl: error: \(hosts[0]): LDAP modify of msDS-AllowedToDelegateTo and userAccountControl of \(dc.dn(hosts[0])) failed: 50 insufficientAccessRights"
            ))
        #expect(first.contains("SeEnableDelegationPrivilege"))
        #expect(r.stderr.contains("applied:       none"))
        #expect(try dc.read(hosts).mapValues(\.usnChanged) == before)
    }

    /// A server that accepts TCP and never answers (the kernel completes the handshake of a listening
    /// socket nobody accepts on): every way of connecting ends within --timeout.
    @Test(arguments: ["ldaps", "ldap+starttls", "gssapi"])
    func aServerThatNeverAnswersTimesOut(kind: String) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try #require(bind(listener, sa, length) == 0 && listen(listener, 16) == 0)
                try #require(getsockname(listener, sa, &length) == 0)
            }
        }
        let port = UInt16(bigEndian: address.sin_port)
        // The DC's name (it resolves to 127.0.0.1), so that GSSAPI gets its service ticket and then waits on LDAP.
        let host = LDAPConnection.host(of: dc.ldapURI)
        let (uri, directory) =
            switch kind {
            case "ldaps": ("ldaps://\(host):\(port)", dc.simpleDirectory)
            case "ldap+starttls": ("ldap://\(host):\(port)", dc.simpleDirectory)
            default: ("ldap://\(host):\(port)", dc.gssapiDirectory())
            }
        let clock = ContinuousClock()
        var r: RunResult!
        let elapsed = try clock.measure {
            r = try kcdctl(
                "plan", "-f", try dc.manifest(hosts: ["HV01"], directory: directory), "--uri", uri, "--timeout", "1")
        }
        #expect(r.status == 1)
        #expect(r.stderr.contains("failed: -5 timeout (Timed out): no answer within 1.0 s (--timeout)"), "\(r.stderr)")
        #expect(elapsed < .seconds(5))
    }

    @Test func secretFilesReadableByOthersAreRefused() throws {
        let loose = NSTemporaryDirectory() + "kcdctl-pw-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: dc.passwordFile, toPath: loose)
        defer { try? FileManager.default.removeItem(atPath: loose) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose)
        let manifest = try dc.manifest(
            hosts: ["HV01"], directory: dc.simpleDirectory.replacingOccurrences(of: dc.passwordFile, with: loose))
        let r = try kcdctl("plan", "-f", manifest)
        #expect(
            r.stderr
                == "kcdctl: error: password file \(loose) is accessible to group or others (mode 644): run `chmod 600 \(loose)`\n"
        )

        let keytab = NSTemporaryDirectory() + "kcdctl-kt-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: dc.keytab, toPath: keytab)
        defer { try? FileManager.default.removeItem(atPath: keytab) }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keytab)
        let k = try kcdctl(
            "plan", "-f", try dc.manifest(hosts: ["HV01"], directory: dc.gssapiDirectory()), "--keytab", keytab)
        #expect(
            k.stderr
                == "kcdctl: error: keytab \(keytab) is accessible to group or others (mode 640): run `chmod 600 \(keytab)`\n"
        )
    }

    @Test func thePasswordAppearsNowhereKcdctlWrites() throws {
        let hosts = TestDC.names("a", "b")
        try dc.addComputers(hosts)
        let manifest = try dc.manifest(hosts: hosts)
        let viaEnvironment = try dc.manifest(
            hosts: hosts,
            directory: dc.simpleDirectory
                .replacingOccurrences(of: "passwordFile: \(dc.passwordFile)", with: ""))
        let password = try String(contentsOfFile: dc.passwordFile, encoding: .utf8)
        let reader = try String(contentsOfFile: dc.readerPasswordFile, encoding: .utf8)
        let wrongPassword = try dc.manifest(
            hosts: hosts, directory: dc.simpleDirectory.replacingOccurrences(of: dc.bindDN, with: dc.readerDN))
        var everything = ""
        for arguments in [
            ["validate", "-f", manifest], ["plan", "-f", manifest], ["plan", "-f", manifest, "--format", "json"],
            ["apply", "-f", manifest, "--auto-approve"], ["apply", "-f", manifest, "--auto-approve"],
            ["drift", "-f", manifest], ["show", "-f", manifest, hosts[0]], ["whoami", "-f", manifest],
            ["plan", "-f", wrongPassword], ["plan", "-f", manifest, "--uri", "ldaps://127.0.0.1:1"],
        ] {
            let r = try run([try kcdctlBinary()] + arguments + ["--verbose"].filter { _ in arguments[0] != "validate" })
            everything += r.stdout + r.stderr
        }
        let env = try run(
            [try kcdctlBinary(), "apply", "-f", viaEnvironment, "--auto-approve", "--verbose"],
            environment: ["KCDCTL_BIND_PASSWORD": password])
        #expect(env.status == 0, "\(env.stderr)")
        everything += env.stdout + env.stderr
        #expect(everything.contains("LDAP simple bind"), "the verbose logs were captured")
        #expect(!everything.contains(password))
        #expect(!everything.contains(reader))
    }
}
