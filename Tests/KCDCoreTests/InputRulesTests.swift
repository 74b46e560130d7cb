import Testing

@testable import KCDCore

/// Issue 9, findings 3 and 9: what a manifest may declare. Every value that ends up in AD or in a review is
/// something a person can read, and no input is large enough to exhaust the machine or the DC.
@Suite struct InputRules {
    func error(cluster line: String) -> String? {
        manifestError(
            validManifest.replacingOccurrences(
                of: "hosts: [HV01, HV02]", with: line.hasPrefix("hosts") ? line : "hosts: [HV01, HV02]\n    \(line)"))
    }

    @Test(arguments: [
        (
            "services: [\"cifs\\nhttp\"]",
            "m.yaml:12:16: an entry of cluster 'hv-prod-a' services 'cifs\\x0ahttp' has a control character"
        ),
        (
            "services: [\"cifs\\0\"]",
            "m.yaml:12:16: an entry of cluster 'hv-prod-a' services 'cifs\\x00' has a control character"
        ),
        ("services: [\"a\\u001b[31mb\"]", "has a control character"),
        (
            "services: [\"Microsoft  Virtual\"]",
            "service class 'Microsoft  Virtual' has leading, trailing or repeated spaces"
        ),
        ("services: [\"h\\u00e9\"]", "service class 'h\\u{00e9}' has a control character, NUL or non-ASCII character"),
        ("extraTargets: [\"http/a\\0BBBB\"]", "'http/a\\x00BBBB' has a control character"),
        ("extraTargets: [\"http/a b\"]", "'http/a b' has a space after the service class"),
        ("extraTargets: [\"http/\\u00e9\"]", "SPNs are printable ASCII"),
        ("hosts: [HV01, \"HV\\u001b]0;x\\u0007\"]", "has a control character"),
        ("hosts: [HV01, HV_02]", "'HV_02' is not a computer name: only letters, digits and '-' are allowed"),
        ("hosts: [HV01, ABCDEFGHIJKLMNOP]", "'ABCDEFGHIJKLMNOP' is not a computer name: longer than 15 characters"),
        ("hosts: [HV01, -HV02]", "'-HV02' is not a computer name: it starts or ends with '-'"),
        ("hosts: [HV01, \"h\\u00e9\"]", "only letters, digits and '-' are allowed"),
    ])
    func valuesAPersonCannotReadAreRefusedWithTheirPlace(line: String, message: String) {
        let e = error(cluster: line)
        #expect(e?.contains(message) == true, "\(e ?? "no error")")
        #expect(e?.range(of: #"^m\.yaml:1[12]:\d+: "#, options: .regularExpression) != nil, "\(e ?? "")")
    }

    @Test func theLongestNamesAreFine() throws {
        let m = try parse(
            validManifest.replacingOccurrences(
                of: "hosts: [HV01, HV02]",
                with: """
                    hosts: [ABCDEFGHIJKLMNO, hv-02]
                        services: ["Microsoft Virtual System Migration Service", cifs, HTTP]
                        extraTargets: ["MSSQLSvc/sql01.corp.example.com:1433", "ldap/dc01.corp.example.com/corp.example.com"]
                    """))
        #expect(m.hosts == ["ABCDEFGHIJKLMNO", "hv-02"])
    }

    @Test func aHugeHostNameIsRefusedAndNotEchoedWhole() {
        let huge = String(repeating: "A", count: 1_000_000)
        let e = error(cluster: "hosts: [HV01, \(huge)]") ?? ""
        #expect(e.contains("longer than 15 characters"))
        #expect(e.contains("(1000000 bytes)"))
        #expect(e.utf8.count < 300, "the message names the value, it does not repeat it")
    }

    @Test func hostsPerClusterHasACapThatCanBeRaised() throws {
        let hosts = (0..<1_001).map { "H\($0)" }.joined(separator: ", ")
        let big = validManifest.replacingOccurrences(of: "hosts: [HV01, HV02]", with: "hosts: [\(hosts)]")
        #expect(
            manifestError(big)?.contains("cluster 'hv-prod-a' has 1001 hosts, more than limits.hostsPerCluster (1000)")
                == true)
        let raised = big.replacingOccurrences(of: "clusters:", with: "limits: { hostsPerCluster: 2000 }\nclusters:")
        #expect(try parse(raised).hosts.count == 1_001)
        #expect(
            manifestError(
                validManifest.replacingOccurrences(of: "clusters:", with: "limits: { hostsPerCluster: 0 }\nclusters:"))?
                .contains("limits.hostsPerCluster must be a whole number from 1 to 10000") == true)
    }

    @Test func domainMustBeADNSName() {
        let e = manifestError(
            validManifest.replacingOccurrences(of: "  baseDN:", with: "  domain: \"corp example\"\n  baseDN:"))
        #expect(e?.contains("directory.domain 'corp example' is not a DNS domain name") == true, "\(e ?? "")")
    }

    @Test func aClusterNameHasALength() {
        let e = manifestError(
            validManifest.replacingOccurrences(
                of: "name: hv-prod-a", with: "name: \(String(repeating: "x", count: 129))"))
        #expect(e?.contains("is longer than 128 characters") == true)
    }
}

@Suite struct PrintableText {
    @Test(arguments: [
        ("cifs/HV01", "cifs/HV01"), ("a\nb", "a\\x0ab"), ("\u{1B}[31m", "\\x1b[31m"), ("a\\b", "a\\\\b"),
        ("x\0y", "x\\x00y"), ("\u{7F}", "\\x7f"), ("é", "\\u{00e9}"), ("\u{202E}", "\\u{202e}"),
    ])
    func everythingButPrintableASCIIIsShownEscaped(raw: String, shown: String) {
        #expect(Printable.escape(raw) == shown)
    }
}

/// Issue 10: validate stopped at the first error; a compiler-grade validator reports them all, in file order.
@Suite struct EveryProblemAtOnce {
    @Test func aBadModeAMisspelledKeyAndAnUnknownTLSKeyAreAllReported() {
        let yaml =
            validManifest
            .replacingOccurrences(of: "  auth:", with: "  tls: { caFle: /x }\n  auth:")
            .replacingOccurrences(of: "mode: any-protocol", with: "mode: bogus\n    hots: [HV09]")
        #expect(
            manifestError(yaml) == """
                m.yaml:5:10: unknown key 'caFle' in directory.tls; expected one of: caFile, insecureSkipVerify, startTLS
                m.yaml:11:11: unknown mode 'bogus'; expected one of: any-protocol, kerberos-only, resource-based
                m.yaml:12:5: unknown key 'hots' in cluster 'hv-prod-a'; expected one of: name, mode, services, nameForms, hosts, smbStorage, extraTargets, prune
                """)
    }

    @Test func atMostTwentyAreReported() {
        let keys = (1...30).map { "    bad\($0): 1" }.joined(separator: "\n")
        let e = manifestError(validManifest + "\n" + keys) ?? ""
        let lines = e.split(separator: "\n")
        #expect(
            lines.count == 21 && lines.last == "m.yaml: 10 more problems not shown",
            "\(lines.count) \(lines.last ?? "")")
    }
}
