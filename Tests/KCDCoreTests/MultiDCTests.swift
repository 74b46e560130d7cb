import Testing

@testable import KCDCore

/// A manifest that names no DC: the domain's DCs are discovered through DNS SRV.
let discoveryManifest = """
    version: 1
    directory:
      domain: corp.example.com
      auth:
        bindDN: svc-kcd@corp.example.com
        passwordFile: /etc/kcdctl/bind.pw
    clusters:
      - name: hv-prod-a
        mode: any-protocol
        hosts: [HV01, HV02]
    """

/// `directory.uri` and `directory.baseDN` optional, `directory.site`: the manifest's rules.
@Suite struct MultiDCManifest {
    @Test func aDomainAloneIsAManifest() throws {
        let m = try parse(discoveryManifest)
        #expect(m.directory.uri == nil && m.directory.baseDN == nil && m.directory.domain == "corp.example.com")
        let site = try parse(discoveryManifest.replacingOccurrences(of: "  auth:", with: "  site: Branch-1\n  auth:"))
        #expect(site.directory.site == "Branch-1")
    }

    @Test func aSiteIsOneDNSLabelInADiscoveredDomain() {
        func withSite(_ line: String, in yaml: String = discoveryManifest) -> String? {
            manifestError(yaml.replacingOccurrences(of: "  auth:", with: "  \(line)\n  auth:"))
        }
        #expect(withSite("site: Default-First-Site-Name") == nil)
        #expect(withSite("site: a.b")?.hasPrefix("m.yaml:4:9: directory.site 'a.b' is not an AD site name") == true)
        #expect(withSite("site: -x")?.contains("is not an AD site name usable in DNS") == true)
        #expect(withSite("site: \(String(repeating: "s", count: 64))")?.contains("1 to 63 letters") == true)
        #expect(withSite("site: 'x y'")?.contains("is not an AD site name") == true)
        #expect(
            withSite("site: Branch", in: validManifest)
                == "m.yaml:5:9: directory.site needs directory.domain: the site chooses among the DCs discovered in that domain's DNS"
        )
        let both = validManifest.replacingOccurrences(of: "  auth:", with: "  domain: corp.example.com\n  auth:")
        #expect(withSite("site: Branch", in: both)?.contains("directory.uri names one DC: remove one of them") == true)
        #expect(withSite("sites: Branch")?.contains("unknown key 'sites' in directory") == true)
    }
}

/// Which DC(s) a command may talk to: flag > environment > manifest, discovery when no URI is set.
@Suite struct DirectoryResolutionRules {
    typealias Flags = ConnectionSettings.Flags

    func resolve(_ yaml: String, flags: Flags = .init(), env: [String: String] = [:]) throws -> DirectoryResolution {
        try ConnectionSettings.resolveDirectory(
            manifest: try parse(yaml), path: "m.yaml", flags: flags, environment: env)
    }

    @Test func aURIMeansThatOneDCAndSaysWhereItCameFrom() throws {
        #expect(try resolve(validManifest).locator == .uri("ldaps://dc01.corp.example.com", source: "directory.uri"))
        #expect(
            try resolve(validManifest, env: ["KCDCTL_URI": "ldaps://env"]).locator
                == .uri("ldaps://env", source: "KCDCTL_URI"))
        #expect(
            try resolve(discoveryManifest, flags: .init(uri: "ldaps://flag"), env: ["KCDCTL_URI": "ldaps://env"])
                .locator
                == .uri("ldaps://flag", source: "--uri"))
        let r = try resolve(validManifest)
        #expect(r.baseDN == "DC=corp,DC=example,DC=com" && r.domain == "corp.example.com")
    }

    @Test func aDomainWithoutURIDiscovers() throws {
        let r = try resolve(discoveryManifest)
        #expect(r.locator == .discover(domain: "corp.example.com", site: nil))
        #expect(r.baseDN == nil && r.domain == "corp.example.com")
        let sited = try resolve(
            discoveryManifest.replacingOccurrences(of: "  auth:", with: "  site: Branch\n  auth:"),
            env: ["KCDCTL_BASE_DN": "DC=corp,DC=example,DC=com"])
        #expect(sited.locator == .discover(domain: "corp.example.com", site: "Branch"))
        #expect(sited.baseDN == "DC=corp,DC=example,DC=com")
    }

    @Test func neitherURINorDomainIsNamedWithWhereToSetThem() {
        let bare = validManifest.replacingOccurrences(of: "  uri: ldaps://dc01.corp.example.com\n", with: "")
        #expect(
            errorText { try resolve(bare) }
                == "no domain controller to connect to: set directory.domain in m.yaml to discover the DCs through DNS, or name one with directory.uri, --uri or KCDCTL_URI"
        )
        #expect(
            errorText { try resolve(discoveryManifest, flags: .init(uri: "http://x")) }
                == "directory URI 'http://x' must start with ldaps:// or ldap://")
    }

    @Test func discoveredDCsFollowTheSameTransportRules() {
        let gssapiStartTLS = discoveryManifest.replacingOccurrences(
            of: "    bindDN: svc-kcd@corp.example.com\n    passwordFile: /etc/kcdctl/bind.pw\n",
            with: "    method: gssapi\n"
        ).replacingOccurrences(of: "  auth:", with: "  tls: { startTLS: true }\n  auth:")
        #expect(errorText { try resolve(gssapiStartTLS) }?.hasPrefix("auth.method gssapi does not combine") == true)
    }

    @Test func theBaseDNComesFromTheDCWhenNotConfigured() throws {
        let r = try resolve(discoveryManifest)
        let done = try r.completed(defaultNamingContext: "DC=corp,DC=example,DC=com")
        #expect(done.baseDN == "DC=corp,DC=example,DC=com" && done.domain == "corp.example.com")
        // Configured wins over what the DC says.
        let configured = try resolve(validManifest).completed(defaultNamingContext: "DC=evil")
        #expect(configured.baseDN == "DC=corp,DC=example,DC=com")
        // Hostile or missing values are refused, escaped.
        #expect(errorText { try r.completed(defaultNamingContext: nil) }?.contains("no defaultNamingContext") == true)
        #expect(errorText { try r.completed(defaultNamingContext: "corp") }?.contains("'corp' is not a DN") == true)
        #expect(
            errorText { try r.completed(defaultNamingContext: "DC=a\n,DC=b") }
                == "the domain controller's defaultNamingContext 'DC=a\\x0a,DC=b' is not a DN: set directory.baseDN")
        #expect(
            errorText { try r.completed(defaultNamingContext: String(repeating: "DC=x,", count: 300)) }?
                .contains("is empty or too long") == true)
        let noDomain = try resolve(
            validManifest.replacingOccurrences(of: "  baseDN: DC=corp,DC=example,DC=com\n", with: ""))
        #expect(
            errorText { try noDomain.completed(defaultNamingContext: "O=corp") }?
                .hasPrefix("cannot derive the DNS domain from the DC's defaultNamingContext 'O=corp'") == true)
        #expect(try noDomain.completed(defaultNamingContext: "DC=ad,DC=test").domain == "ad.test")
    }
}

/// What of libldap's SRV answer is used (hostile text), and the URI each DC is reached at.
@Suite struct DomainControllerDiscoveryRules {
    let simple = DirectorySettings(auth: AuthSettings(method: .simple, bindDN: "svc"))
    var startTLS: DirectorySettings {
        var s = simple
        s.tls.startTLS = true
        return s
    }
    let gssapi = DirectorySettings(auth: AuthSettings(method: .gssapi))

    @Test func theLookupsAreTheSitesThenTheDomains() {
        let q = DomainControllerDiscovery.queries(domain: "corp.example.com", site: "Branch")
        #expect(q.map(\.name) == ["Branch._sites.dc._msdcs.corp.example.com", "dc._msdcs.corp.example.com"])
        #expect(q.map(\.record).last == "_ldap._tcp.dc._msdcs.corp.example.com")
        #expect(DomainControllerDiscovery.queries(domain: "d.test", site: nil).map(\.name) == ["dc._msdcs.d.test"])
        #expect(DomainControllerDiscovery.pdcQuery(domain: "d.test").record == "_ldap._tcp.pdc._msdcs.d.test")
    }

    @Test func theHostListIsReadInOrderAndAnythingOddIsRefused() {
        let parsed = DomainControllerDiscovery.parseHostList("dc2.corp.test:389 DC1.corp.test.:3268 dc3:1")
        #expect(
            parsed.targets == [
                .init(host: "dc2.corp.test", port: 389), .init(host: "DC1.corp.test", port: 3268),
                .init(host: "dc3", port: 1),
            ])
        #expect(parsed.rejected.isEmpty)
        let hostile = [
            "evil\\032host:389", "a..b:389", "-a.test:389", "a_b.test:389", "x.test:0", "x.test:65536", "x.test:+389",
            "x.test:", ":389", "x.test", "x.test:123456", "[::1]:389", "\(String(repeating: "a", count: 64)).test:389",
            "ldap://x.test:389", "x.test:389/", "ä.test:389",
        ]
        let result = DomainControllerDiscovery.parseHostList(hostile.joined(separator: " ") + " ok.test:636")
        #expect(result.targets == [.init(host: "ok.test", port: 636)])
        #expect(result.rejected.count == hostile.count)
        #expect(result.rejected.first == "'evil\\\\032host:389'", "refused answers are shown escaped")
        #expect(DomainControllerDiscovery.parseHostList("").targets.isEmpty)
        #expect(DomainControllerDiscovery.parseHostList("  a.test:389   b.test:389 ").targets.count == 2)
    }

    @Test func eachDCIsReachedByTheManifestsTransportRules() {
        let target = SRVTarget(host: "dc1.corp.test", port: 389)
        #expect(DomainControllerDiscovery.uri(for: target, simple) == "ldaps://dc1.corp.test:636")
        #expect(DomainControllerDiscovery.uri(for: target, startTLS) == "ldap://dc1.corp.test:389")
        #expect(DomainControllerDiscovery.uri(for: target, gssapi) == "ldap://dc1.corp.test:389")
        #expect(simple.transportProblem(uri: "ldaps://dc1.corp.test:636") == nil)
        #expect(startTLS.transportProblem(uri: "ldap://dc1.corp.test:389") == nil)
        #expect(gssapi.transportProblem(uri: "ldap://dc1.corp.test:389") == nil)
    }

    @Test func candidatesAreTheSitesFirstEachDCOnce() {
        let q = DomainControllerDiscovery.queries(domain: "corp.test", site: "Branch")
        let c = DomainControllerDiscovery.candidates(
            [
                (q[0], [.init(host: "dc3.corp.test", port: 389)]),
                (
                    q[1],
                    [
                        .init(host: "dc1.corp.test", port: 389), .init(host: "DC3.corp.test", port: 389),
                        .init(host: "dc2.corp.test", port: 389),
                    ]
                ),
            ], simple)
        #expect(c.map(\.host) == ["dc3.corp.test", "dc1.corp.test", "dc2.corp.test"])
        #expect(c[0].foundBy == "found by DNS SRV _ldap._tcp.Branch._sites.dc._msdcs.corp.test")
        #expect(c[1].foundBy == "found by DNS SRV _ldap._tcp.dc._msdcs.corp.test")
        #expect(c[1].uri == "ldaps://dc1.corp.test:636")
        let many = (1...100).map { SRVTarget(host: "dc\($0).corp.test", port: 389) }
        #expect(
            DomainControllerDiscovery.candidates([(q[1], many)], simple).count
                == DomainControllerDiscovery.maximumCandidates)
        let configured = DomainControllerDiscovery.configured(
            uri: "ldaps://dc9.corp.test:636/", source: "directory.uri")
        #expect(configured.host == "dc9.corp.test" && configured.foundBy == "from directory.uri")
    }

    @Test func noDCFoundSaysWhichRecordsWereAsked() {
        let e = NoDomainControllerFound(records: ["_ldap._tcp.dc._msdcs.corp.test"], rejected: ["'x:0'"])
        #expect(
            e.description
                == "no domain controller found: DNS gave no usable SRV record for _ldap._tcp.dc._msdcs.corp.test (refused answers: 'x:0'); check the resolver (/etc/resolv.conf) and directory.domain, or name one DC with directory.uri"
        )
    }
}

/// Failover: the first DC that binds (and suits) wins; every DC passed over is listed with its reason.
@Suite struct FailoverRules {
    struct Down: Error, CustomStringConvertible {
        var description: String
    }
    struct WrongPassword: Error {}

    let dcs = ["dc1", "dc2", "dc3"].map {
        DomainControllerCandidate(
            host: "\($0).corp.test", uri: "ldaps://\($0).corp.test:636", foundBy: "found by DNS SRV x")
    }

    @Test func theFirstThatBindsWinsAndTheOnesBeforeAreListed() throws {
        var attempts: [String] = []
        let chosen = try DomainControllerChoice.choose(
            dcs,
            connect: { dc in
                attempts.append(dc.host)
                guard dc.host != "dc1.corp.test" else {
                    throw Down(description: "LDAP connect failed: -1 serverDown\nx")
                }
                return dc.host
            }, isFinal: { _ in false })
        #expect(chosen.connection == "dc2.corp.test" && chosen.candidate == dcs[1])
        #expect(attempts == ["dc1.corp.test", "dc2.corp.test"], "dc3 is never contacted")
        #expect(
            chosen.tried == [
                .init(host: "dc1.corp.test", uri: dcs[0].uri, reason: "LDAP connect failed: -1 serverDown x")
            ])
    }

    @Test func noneReachableListsEveryDCAndWhy() {
        let e = errorText {
            try DomainControllerChoice.choose(
                Array(dcs.prefix(2)), connect: { dc -> Int in throw Down(description: "\(dc.host) down") },
                isFinal: { _ in false })
        }
        #expect(
            e
                == "no domain controller could be reached: dc1.corp.test: dc1.corp.test down; dc2.corp.test: dc2.corp.test down"
        )
    }

    @Test func aWrongPasswordIsNotTriedOnEveryDC() {
        var attempts = 0
        #expect(throws: WrongPassword.self) {
            try DomainControllerChoice.choose(
                dcs,
                connect: { _ -> Int in
                    attempts += 1
                    throw WrongPassword()
                }, isFinal: { $0 is WrongPassword })
        }
        #expect(attempts == 1, "each try would count toward the account's lockout")
    }

    @Test func aReadOnlyDCIsPassedOverForThePDCThenTheRest() throws {
        let pdc = DomainControllerCandidate(
            host: "dc3.corp.test", uri: "ldaps://dc3.corp.test:636", foundBy: "found by DNS SRV pdc")
        var attempts: [String] = []
        var pdcLookups = 0
        let chosen = try DomainControllerChoice.choose(
            dcs, writable: true,
            connect: { dc in
                attempts.append(dc.host)
                return dc.host
            }, isFinal: { _ in false },
            unsuitable: { host, _ in host == "dc1.corp.test" ? "read-only domain controller (RODC)" : nil },
            afterUnsuitable: {
                pdcLookups += 1
                return [pdc]
            })
        #expect(attempts == ["dc1.corp.test", "dc3.corp.test"], "the PDC emulator comes right after the RODC")
        #expect(chosen.candidate == pdc && pdcLookups == 1)
        #expect(chosen.tried.map(\.description) == ["dc1.corp.test: read-only domain controller (RODC)"])
    }

    @Test func noWritableDCSaysNothingWasWritten() {
        let e = errorText {
            try DomainControllerChoice.choose(
                Array(dcs.prefix(2)), writable: true, connect: { $0.host }, isFinal: { _ in false },
                unsuitable: { _, _ in "read-only domain controller (RODC)" }, afterUnsuitable: { [] })
        }
        #expect(
            e
                == "no writable domain controller could be reached: dc1.corp.test: read-only domain controller (RODC); dc2.corp.test: read-only domain controller (RODC); nothing was written"
        )
    }
}

/// What a DC says about itself, read as hostile values.
@Suite struct RootDSERules {
    @Test func readOnlyIsTakenFromMsDSIsRODCOrTheObjectClass() {
        #expect(RootDSE.isReadOnly(isRODC: ["TRUE"], objectClasses: ["top", "nTDSDSA"]) == true)
        #expect(RootDSE.isReadOnly(isRODC: ["FALSE"], objectClasses: ["top", "nTDSDSA"]) == false)
        #expect(RootDSE.isReadOnly(isRODC: [], objectClasses: ["top", "applicationSettings", "nTDSDSARO"]) == true)
        #expect(RootDSE.isReadOnly(isRODC: [], objectClasses: ["top", "nTDSDSA"]) == nil)
        #expect(RootDSE.isReadOnly(isRODC: ["maybe"], objectClasses: []) == nil)
    }
}

/// A referral answer to a write is a definite refusal: the host failed, nothing was written, not unknown.
@Suite struct ReadOnlyRefusalRules {
    @Test func aReadOnlyRefusalIsAFailureNotAnUnknownOutcome() throws {
        let hosts = ["HV01", "HV02"]
        let directory = MemoryDirectory(hosts.map { computer($0) })
        let manifest = Manifest(
            directory: DirectorySettings(auth: AuthSettings()),
            clusters: [Cluster(name: "c", mode: .anyProtocol, hosts: hosts)])
        let reconciliation = Reconciliation(manifest: manifest, domain: "corp.test", directory: directory)
        let plan = try reconciliation.plan()
        let first = try #require(plan.changes.first)
        directory.refuse[first.host.lowercased()] = ReadOnlyRefusal(
            host: first.host, domainController: "rodc1.corp.test", referrals: ["ldap://dc1.corp.test/DC=corp\nx"])
        var events: [ApplyEvent] = []
        let report = try reconciliation.apply(plan, record: { events.append($0) })
        #expect(report.unknown.isEmpty && report.applied.isEmpty)
        #expect(report.failure?.change.host == first.host)
        #expect(events.contains { if case .failed = $0 { true } else { false } })
        #expect(!events.contains { if case .unknown = $0 { true } else { false } })
        let text = "\(try #require(report.failure?.error))"
        #expect(
            text
                == "rodc1.corp.test is read-only: it referred the write to 'ldap://dc1.corp.test/DC=corp\\x0ax'; nothing was written"
        )
        #expect(report.hostsToPurge.isEmpty, "nothing was written: no ticket to purge")
    }

    @Test func writingToNamesTheDC() {
        #expect(ApplyText.writingTo("dc1.corp.test") == "Writing to dc1.corp.test (writable).\n")
    }
}

/// `whoami` names the DC chosen, how it was found, and each DC passed over before it.
@Suite struct WhoamiDomainController {
    func facts(_ dc: DomainControllerCandidate?, tried: [DomainControllerAttempt] = []) -> WhoamiText.Facts {
        .init(
            authzid: nil, bindIdentity: "svc", bindMethod: "simple", credentialSource: nil, transport: "TLS (ldaps://)",
            ssf: nil, certificateVerified: true, caFile: nil, accountDN: "CN=svc", uri: dc?.uri ?? "ldaps://x",
            baseDN: "DC=corp", domainController: dc, tried: tried)
    }

    @Test func theDCAndTheOnesTriedBeforeIt() {
        let dc = DomainControllerCandidate(
            host: "dc2.corp.test", uri: "ldaps://dc2.corp.test:636",
            foundBy: "found by DNS SRV _ldap._tcp.dc._msdcs.corp.test")
        let text = WhoamiText.render(
            facts(dc, tried: [.init(host: "dc1.corp.test", uri: "ldaps://dc1.corp.test:636", reason: "LDAP x\nfailed")])
        )
        #expect(
            text.hasSuffix(
                "server:     ldaps://dc2.corp.test:636\nDomain controller: dc2.corp.test (ldaps://dc2.corp.test:636), found by DNS SRV _ldap._tcp.dc._msdcs.corp.test\ntried dc1.corp.test: LDAP x failed\n"
            ))
        let configured = DomainControllerDiscovery.configured(uri: "ldaps://dc9", source: "directory.uri")
        #expect(
            WhoamiText.render(facts(configured)).hasSuffix("Domain controller: dc9 (ldaps://dc9), from directory.uri\n")
        )
        #expect(!WhoamiText.render(facts(nil)).contains("Domain controller"))
    }
}
