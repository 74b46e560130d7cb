import Testing

@testable import KCDCore

/// A valid manifest to start from; tests change one thing at a time.
let validManifest = """
    version: 1
    directory:
      uri: ldaps://dc01.corp.example.com
      baseDN: DC=corp,DC=example,DC=com
      auth:
        bindDN: svc-kcd@corp.example.com
        passwordFile: /etc/kcdctl/bind.pw
    clusters:
      - name: hv-prod-a
        mode: any-protocol
        hosts: [HV01, HV02]
    """

func parse(_ yaml: String) throws -> Manifest {
    try ManifestLoader.parse(yaml, file: "m.yaml")
}

/// The error a manifest gets, as the user reads it.
func manifestError(_ yaml: String) -> String? {
    do {
        _ = try parse(yaml)
        return nil
    } catch {
        return String(describing: error)
    }
}

@Suite struct ManifestLoading {

    @Test func valueLimit() throws {
        #expect(try parse(validManifest).directory.valueLimit == 1200)
        let custom = validManifest.replacingOccurrences(
            of: "  baseDN: DC=corp,DC=example,DC=com\n",
            with: "  baseDN: DC=corp,DC=example,DC=com\n  valueLimit: 3200\n")
        #expect(try parse(custom).directory.valueLimit == 3200)
        for bad in ["0", "-1", "many", "2000000"] {
            let yaml = validManifest.replacingOccurrences(
                of: "  baseDN: DC=corp,DC=example,DC=com\n",
                with: "  baseDN: DC=corp,DC=example,DC=com\n  valueLimit: \(bad)\n")
            #expect(
                manifestError(yaml)?.contains("directory.valueLimit must be a whole number from 1 to 1000000") == true,
                "\(bad)")
        }
    }
    @Test func defaultsApply() throws {
        let m = try parse(validManifest)
        let c = try #require(m.clusters.first)
        #expect(c.services == ["Microsoft Virtual System Migration Service", "cifs"])
        #expect(c.nameForms == [.short, .fqdn])
        #expect(c.prune == .managed)
        #expect(c.smbStorage.isEmpty && c.extraTargets.isEmpty)
        #expect(m.directory.usesStartTLS && m.directory.tls.startTLS == nil && !m.directory.tls.insecureSkipVerify)
        #expect(m.directory.auth.method == .simple)
        #expect(DirectorySettings.domain(fromBaseDN: m.directory.baseDN!) == "corp.example.com")
    }

    @Test func relativePathsAreTakenFromTheManifestsFolder() throws {
        let m = try ManifestLoader.parse(
            validManifest.replacingOccurrences(of: "/etc/kcdctl/bind.pw", with: "secrets/bind.pw"),
            file: "/srv/kcd/m.yaml", relativeTo: "/srv/kcd")
        #expect(m.directory.auth.passwordFile == "/srv/kcd/secrets/bind.pw")
    }

    @Test func badYAMLIsLocated() {
        let yaml = validManifest.replacingOccurrences(of: "hosts: [HV01, HV02]", with: "hosts: [HV01, HV02")
        let e = manifestError(yaml)
        #expect(e?.hasPrefix("m.yaml:") == true)
        #expect(e?.contains("invalid YAML") == true)
        // The parser notices the missing ']' at the end of the document (line 12 or 13, column given).
        #expect(e?.range(of: #"^m\.yaml:1[23]:\d+: "#, options: .regularExpression) != nil, "\(e ?? "")")
    }

    @Test func unknownKeyIsNamedWithItsPosition() {
        let yaml = validManifest.replacingOccurrences(
            of: "    mode: any-protocol", with: "    mode: any-protocol\n    hots: [HV03]")
        #expect(
            manifestError(yaml)
                == "m.yaml:11:5: unknown key 'hots' in cluster 'hv-prod-a'; expected one of: name, mode, services, nameForms, hosts, smbStorage, extraTargets, prune"
        )
    }

    @Test func unknownKeyGetsASpellingHint() {
        let yaml = validManifest.replacingOccurrences(of: "baseDN:", with: "basedn:")
        #expect(
            manifestError(yaml)?.hasPrefix("m.yaml:4:3: unknown key 'basedn' in directory (did you mean 'baseDN'?)")
                == true)
    }

    @Test func unknownModeIsRefused() {
        let yaml = validManifest.replacingOccurrences(of: "mode: any-protocol", with: "mode: unconstrained")
        #expect(
            manifestError(yaml)
                == "m.yaml:10:11: unknown mode 'unconstrained'; expected one of: any-protocol, kerberos-only, resource-based"
        )
    }

    @Test func missingModeIsRefused() {
        let yaml = validManifest.replacingOccurrences(of: "    mode: any-protocol\n", with: "")
        #expect(manifestError(yaml)?.hasPrefix("m.yaml:9:5: cluster 'hv-prod-a' has no mode") == true)
    }

    @Test func duplicateHostInAClusterIsRefused() {
        let yaml = validManifest.replacingOccurrences(of: "[HV01, HV02]", with: "[HV01, HV02, hv01]")
        #expect(
            manifestError(yaml) == "m.yaml:11:25: hv01 is listed twice in cluster 'hv-prod-a' hosts (first at line 11)")
    }

    @Test func emptyHostsListIsRefused() {
        let yaml = validManifest.replacingOccurrences(of: "[HV01, HV02]", with: "[]")
        #expect(manifestError(yaml) == "m.yaml:11:12: cluster 'hv-prod-a' hosts is empty")
    }

    @Test func absentHostsAreRefused() {
        let yaml = validManifest.replacingOccurrences(of: "\n    hosts: [HV01, HV02]", with: "")
        #expect(manifestError(yaml) == "m.yaml:9:5: cluster 'hv-prod-a' has no 'hosts'")
    }

    @Test(arguments: ["password", "bindPassword", "Password"])
    func passwordWrittenInlineIsRefused(key: String) {
        let yaml = validManifest.replacingOccurrences(
            of: "    passwordFile: /etc/kcdctl/bind.pw", with: "    \(key): hunter2")
        let e = manifestError(yaml)
        #expect(e?.hasPrefix("m.yaml:7:5: a password is never written in the manifest") == true, "\(e ?? "")")
        #expect(e?.contains("hunter2") == false)
    }

    @Test func conflictingModesForOneHostNameBothClusters() {
        let yaml =
            validManifest + """

                  - name: hv-prod-b
                    mode: kerberos-only
                    hosts: [HV03, hv02]
                """
        #expect(
            manifestError(yaml)
                == "m.yaml:14:19: host hv02 is in cluster 'hv-prod-a' (mode any-protocol, line 9) and in cluster 'hv-prod-b' (mode kerberos-only): a host has one delegation mode"
        )
    }

    @Test func sameModeInTwoClustersIsFine() throws {
        let m = try parse(
            validManifest + """

                  - name: hv-prod-b
                    mode: any-protocol
                    hosts: [HV03, HV02]
                """)
        #expect(m.hosts == ["HV01", "HV02", "HV03"])
    }

    @Test(arguments: [
        ("version: 2", "m.yaml:1:10: unsupported manifest version 2; this kcdctl reads version 1"),
        ("clusters: []", "m.yaml:8:11: clusters is empty: declare at least one cluster"),
    ])
    func versionAndClusters(replacement: String, expected: String) {
        let key = replacement.components(separatedBy: ":")[0]
        let yaml: String
        if key == "version" {
            yaml = validManifest.replacingOccurrences(of: "version: 1", with: replacement)
        } else {
            yaml = validManifest.components(separatedBy: "clusters:")[0] + replacement + "\n"
        }
        #expect(manifestError(yaml) == expected)
    }

    @Test(arguments: [
        ("hosts: [HV01$, HV02]", "write the computer name without the trailing $: 'HV01'"),
        ("hosts: [HV01, cifs/HV02]", "'cifs/HV02' is not a computer name: it contains '/'"),
        ("extraTargets: [web01]", "'web01' is not an SPN: expected serviceclass/host"),
        ("services: [cifs/HV01]", "'cifs/HV01' is a service class, not an SPN"),
        ("prune: sometimes", "unknown prune 'sometimes'; expected one of: managed, none"),
        ("nameForms: [netbios]", "unknown name form 'netbios'"),
    ])
    func clusterEntriesAreChecked(line: String, message: String) {
        let yaml = validManifest.replacingOccurrences(
            of: "hosts: [HV01, HV02]", with: line.hasPrefix("hosts") ? line : "hosts: [HV01, HV02]\n    \(line)")
        let e = manifestError(yaml)
        #expect(e?.contains(message) == true, "\(e ?? "no error")")
        #expect(e?.range(of: #"^m\.yaml:1[12]:\d+: "#, options: .regularExpression) != nil, "\(e ?? "")")
    }

    @Test func emptyDocument() {
        #expect(manifestError("") == "m.yaml:1:1: the manifest is empty")
    }

    @Test func duplicateKeyIsLocated() {
        let e = manifestError(validManifest.replacingOccurrences(of: "version: 1", with: "version: 1\nversion: 1"))
        #expect(e?.hasPrefix("m.yaml:") == true && e?.contains("duplicate key 'version'") == true, "\(e ?? "")")
    }

    @Test func unreadableFile() {
        #expect(throws: ManifestError.self) { try ManifestLoader.load(path: "/nonexistent/kcdctl.yaml") }
    }
}

let gssapiManifest = """
    version: 1
    directory:
      uri: ldap://dc01.corp.example.com
      baseDN: DC=corp,DC=example,DC=com
      auth:
        method: gssapi
        keytab: kcd.keytab
        principal: svc-kcd@CORP.EXAMPLE.COM
    clusters:
      - name: hv-prod-a
        mode: any-protocol
        hosts: [HV01, HV02]
    """

@Suite struct GSSAPIManifests {
    @Test func keytabAndPrincipal() throws {
        let m = try ManifestLoader.parse(gssapiManifest, file: "/etc/kcdctl/m.yaml", relativeTo: "/etc/kcdctl")
        #expect(m.directory.auth.method == .gssapi)
        #expect(m.directory.auth.keytab == "/etc/kcdctl/kcd.keytab")
        #expect(m.directory.auth.principal == "svc-kcd@CORP.EXAMPLE.COM")
        #expect(m.directory.auth.minimumSSF == 56)
        #expect(!m.directory.usesStartTLS, "GSSAPI seals ldap:// itself")
    }

    @Test func overLDAPSIsRefused() {
        let e = manifestError(gssapiManifest.replacingOccurrences(of: "ldap://", with: "ldaps://"))
        #expect(
            e?.hasPrefix(
                "m.yaml:3:8: auth.method gssapi cannot run over ldaps://dc01.corp.example.com: AD refuses GSSAPI signing and sealing inside TLS"
            ) == true, "\(e ?? "")")
    }

    @Test func withStartTLSIsRefused() {
        let e = manifestError(
            gssapiManifest.replacingOccurrences(of: "  auth:", with: "  tls: { startTLS: true }\n  auth:"))
        #expect(e?.contains("auth.method gssapi does not combine with tls.startTLS: true") == true, "\(e ?? "")")
    }

    @Test func keytabWithoutPrincipal() {
        let e = manifestError(
            gssapiManifest.replacingOccurrences(of: "    principal: svc-kcd@CORP.EXAMPLE.COM\n", with: ""))
        #expect(
            e
                == "m.yaml:7:13: auth.keytab needs auth.principal: the principal to take from the keytab, e.g. svc-kcd@CORP.EXAMPLE.COM"
        )
    }

    @Test func simpleOnlyKeysAreRefused() {
        let e = manifestError(
            gssapiManifest.replacingOccurrences(of: "    keytab: kcd.keytab", with: "    bindDN: svc"))
        #expect(
            e?.hasPrefix("m.yaml:7:5: unknown key 'bindDN' in directory.auth (method gssapi)") == true, "\(e ?? "")")
    }

    @Test func aSimpleBindInClearIsRefused() {
        let e = manifestError(
            validManifest.replacingOccurrences(of: "ldaps://", with: "ldap://")
                .replacingOccurrences(of: "  auth:", with: "  tls: { startTLS: false }\n  auth:"))
        #expect(
            e?.hasPrefix("m.yaml:3:8: a simple bind would send the password in clear over ldap://dc01.corp.example.com")
                == true, "\(e ?? "")")
    }

    @Test func ldapWithStartTLSIsFineForSimple() throws {
        let m = try parse(validManifest.replacingOccurrences(of: "ldaps://", with: "ldap://"))
        #expect(m.directory.usesStartTLS)
    }

    @Test func minSSF() throws {
        let m = try parse(gssapiManifest + "").directory.auth.minimumSSF
        #expect(m == 56)
        let e = manifestError(
            gssapiManifest.replacingOccurrences(of: "    keytab:", with: "    minSSF: -1\n    keytab:"))
        #expect(e?.contains("minSSF must be a whole number of at least 0") == true)
    }
}
