import Testing

@testable import KCDCore

/// flag > environment > manifest, and every refusal as the user reads it (`kcdctl: error: MESSAGE`).
@Suite struct ConnectionSettingsResolution {
    typealias Flags = ConnectionSettings.Flags

    func resolve(_ yaml: String = validManifest, flags: Flags = .init(), env: [String: String] = [:]) throws
        -> ConnectionSettings
    {
        try ConnectionSettings.resolve(manifest: try parse(yaml), path: "m.yaml", flags: flags, environment: env)
    }

    func refusal(_ yaml: String = validManifest, flags: Flags = .init(), env: [String: String] = [:]) -> String? {
        errorText { try resolve(yaml, flags: flags, env: env) }
    }

    /// The manifest without its uri and baseDN lines.
    let bare = validManifest.replacingOccurrences(of: "  uri: ldaps://dc01.corp.example.com\n", with: "")
        .replacingOccurrences(of: "  baseDN: DC=corp,DC=example,DC=com\n", with: "")

    @Test func theManifestAloneSuffices() throws {
        let s = try resolve()
        #expect(s.uri == "ldaps://dc01.corp.example.com" && s.baseDN == "DC=corp,DC=example,DC=com")
        let directory = try parse(validManifest).directory
        #expect(s.domain == "corp.example.com" && s.directory == directory)
    }

    @Test func aFlagWinsOverTheEnvironmentWhichWinsOverTheManifest() throws {
        let env = ["KCDCTL_URI": "ldaps://env", "KCDCTL_BASE_DN": "DC=env,DC=test"]
        #expect(try resolve(env: env).uri == "ldaps://env")
        #expect(try resolve(env: env).baseDN == "DC=env,DC=test")
        #expect(try resolve(env: env).domain == "env.test", "the domain follows the base DN used")
        let flagged = try resolve(flags: .init(uri: "ldaps://flag", baseDN: "DC=flag"), env: env)
        #expect(flagged.uri == "ldaps://flag" && flagged.baseDN == "DC=flag" && flagged.domain == "flag")
        #expect(try resolve(bare, env: env).uri == "ldaps://env")
    }

    @Test func aDeclaredDomainIsKept() throws {
        let yaml = validManifest.replacingOccurrences(of: "  auth:", with: "  domain: ad.example.org\n  auth:")
        #expect(try resolve(yaml, flags: .init(baseDN: "DC=other")).domain == "ad.example.org")
    }

    @Test func whatIsMissingIsNamedWithWhereToSetIt() {
        #expect(refusal(bare) == "no directory URI: set directory.uri in m.yaml, --uri or KCDCTL_URI")
        #expect(
            refusal(bare, flags: .init(uri: "ldaps://dc"))
                == "no base DN: set directory.baseDN in m.yaml, --base-dn or KCDCTL_BASE_DN")
        #expect(
            refusal(flags: .init(baseDN: "CN=Computers"))
                == "cannot derive the DNS domain from base DN 'CN=Computers': set directory.domain in m.yaml")
    }

    @Test func aURIFromTheCommandLineIsCheckedAsTheManifestsIs() {
        #expect(
            refusal(flags: .init(uri: "https://dc01"))
                == "directory URI 'https://dc01' must start with ldaps:// or ldap://")
        #expect(refusal(env: ["KCDCTL_URI": "dc01"]) == "directory URI 'dc01' must start with ldaps:// or ldap://")
        #expect(refusal(flags: .init(uri: "ldap://dc01")) == nil, "ldap:// with a simple bind upgrades with StartTLS")
        // Fine in the manifest (ldaps://); the URI given on the command line would send the password in clear.
        let noStartTLS = validManifest.replacingOccurrences(of: "  auth:", with: "  tls: { startTLS: false }\n  auth:")
        #expect(
            refusal(noStartTLS, flags: .init(uri: "ldap://dc01"))
                == "a simple bind would send the password in clear over ldap://dc01 with tls.startTLS: false; use ldaps://, StartTLS or auth.method gssapi"
        )
        #expect(
            refusal(gssapiManifest, flags: .init(uri: "ldaps://dc01"))?
                .hasPrefix("auth.method gssapi cannot run over ldaps://dc01: AD refuses GSSAPI") == true)
    }

    @Test func keytabAndPrincipalOverridesNeedGSSAPIAndEachOther() throws {
        #expect(
            refusal(flags: .init(keytab: "/k"))
                == "--keytab and --principal (KCDCTL_KEYTAB, KCDCTL_PRINCIPAL) need directory.auth.method: gssapi in m.yaml"
        )
        #expect(refusal(env: ["KCDCTL_PRINCIPAL": "p@R"])?.hasPrefix("--keytab and --principal") == true)
        let s = try resolve(
            gssapiManifest, flags: .init(keytab: "/flag.keytab"),
            env: ["KCDCTL_KEYTAB": "/env.keytab", "KCDCTL_PRINCIPAL": "x@R"])
        #expect(s.directory.auth.keytab == "/flag.keytab" && s.directory.auth.principal == "x@R")
        let noPrincipal = gssapiManifest.replacingOccurrences(of: "    keytab: kcd.keytab\n", with: "")
            .replacingOccurrences(of: "    principal: svc-kcd@CORP.EXAMPLE.COM\n", with: "")
        #expect(try resolve(noPrincipal).directory.auth.keytab == nil, "the credential cache, without a keytab")
        #expect(
            refusal(noPrincipal, flags: .init(keytab: "/k"))
                == "a keytab needs a principal: set directory.auth.principal in m.yaml, --principal or KCDCTL_PRINCIPAL"
        )
    }

    @Test func targetsMustBeHostsOfTheManifestComparedAsADComparesNames() throws {
        let m = try parse(validManifest.replacingOccurrences(of: "[HV01, HV02]", with: "[HV01, HV0K]"))
        try m.checkTargets(nil)
        try m.checkTargets(["hv01", "hv0k"])
        #expect(
            errorText { try m.checkTargets(["HV01", "NOTAHOST", "HV0\u{212A}"]) }
                == "--target NOTAHOST, HV0\u{212A}: not a host of the manifest")
    }
}

@Suite struct NamedFiles {
    @Test func theFilesAManifestNamesAreThoseSetWithWhetherTheyAreSecret() throws {
        #expect(
            try parse(validManifest).namedFiles == [
                .init(key: "directory.auth.passwordFile", path: "/etc/kcdctl/bind.pw", secret: true)
            ])
        let m = try ManifestLoader.parse(
            gssapiManifest.replacingOccurrences(of: "  auth:", with: "  tls: { caFile: ca.pem }\n  auth:")
                + "\nplans: { verifyKey: ci.pub }\n", file: "/etc/kcdctl/m.yaml", relativeTo: "/etc/kcdctl")
        #expect(m.namedFiles.map(\.key) == ["directory.tls.caFile", "directory.auth.keytab", "plans.verifyKey"])
        #expect(m.namedFiles.map(\.secret) == [false, true, false] && m.namedFiles[0].path == "/etc/kcdctl/ca.pem")
    }
}
