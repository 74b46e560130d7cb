import Foundation
import KCDCore
import Logging
import Testing

@testable import KCDLDAP

/// What a modify's error means for the host written, and which connection errors end failover.
@Suite struct WriteAndFailoverClassification {
    /// A read-only DC answers a write with a referral (10): a definite refusal, not an unknown outcome. (Samba
    /// here cannot host an RODC, so this is where that answer is tested.)
    @Test func aReferralIsAReadOnlyRefusalNotAnUnknownOutcome() throws {
        var referral = LDAPError(code: .referral, operation: "modify", dn: "CN=HV01,DC=corp")
        referral.referrals = ["ldap://dc1.corp.test/CN=HV01,DC=corp"]
        let error = ActiveDirectory.writeError(referral, host: "HV01", domainController: "rodc1.corp.test")
        let refusal = try #require(error as? ReadOnlyRefusal)
        #expect(
            refusal == ReadOnlyRefusal(host: "HV01", domainController: "rodc1.corp.test", referrals: referral.referrals)
        )
        #expect(
            "\(refusal)"
                == "rodc1.corp.test is read-only: it referred the write to 'ldap://dc1.corp.test/CN=HV01,DC=corp'; nothing was written"
        )
        #expect(!LDAPResultCode.referral.requestMayHaveBeenApplied)
        #expect(LDAPResultCode.referral.description == "10 referral")
    }

    @Test func theOtherWriteErrorsKeepTheirMeaning() {
        func kind(_ code: LDAPResultCode) -> String {
            let e = ActiveDirectory.writeError(
                LDAPError(code: code, operation: "modify"), host: "HV01", domainController: "dc")
            return switch e {
            case is ChangedMeanwhile: "changed"
            case is OutcomeUnknown: "unknown"
            case is ReadOnlyRefusal: "read-only"
            default: "failed"
            }
        }
        #expect(kind(.noSuchAttribute) == "changed" && kind(.attributeOrValueExists) == "changed")
        #expect(kind(.serverDown) == "unknown" && kind(.timeout) == "unknown")
        #expect(kind(.insufficientAccessRights) == "failed" && kind(.referral) == "read-only")
    }

    @Test func aWrongPasswordEndsFailoverAnUnreachableDCDoesNot() {
        let ends: [LDAPResultCode] = [
            .invalidCredentials, .strongerAuthRequired, .confidentialityRequired, .paramError,
        ]
        let next: [LDAPResultCode] = [.serverDown, .connectError, .timeout, .busy, .unavailable, .localError]
        #expect(ends.allSatisfy { DomainControllers.endsFailover(LDAPError(code: $0, operation: "bind")) })
        #expect(next.allSatisfy { !DomainControllers.endsFailover(LDAPError(code: $0, operation: "bind")) })
        struct FileProblem: Error {}
        #expect(DomainControllers.endsFailover(FileProblem()))
    }
}

/// Discovery and failover over a stubbed DNS and stubbed binds (a handle is made, nothing is sent).
@Suite struct DomainControllerOpening {
    let logger = Logger(label: "test")
    let settings = DirectorySettings(domain: "corp.test", auth: AuthSettings(method: .simple, bindDN: "svc"))

    func resolution(site: String? = nil, baseDN: String? = "DC=corp,DC=test") -> DirectoryResolution {
        DirectoryResolution(
            locator: .discover(domain: "corp.test", site: site), baseDN: baseDN, domain: "corp.test",
            directory: settings)
    }

    func handle(_ uri: String) throws -> LDAPConnection {
        try LDAPConnection(uri: uri, tls: .init(verify: true, startTLS: false), logger: logger)
    }

    @Test func theSitesDCsComeFirstAndAnUnreachableOneIsPassedOver() throws {
        let dns = [
            "Branch._sites.dc._msdcs.corp.test": "dc3.corp.test:389",
            "dc._msdcs.corp.test": "dc1.corp.test:389 dc3.corp.test:389 bad_name.corp.test:389 dc2.corp.test:389",
        ]
        var asked: [String] = []
        let dc = try DomainControllers.open(
            resolution(site: "Branch"), writable: false, logger: logger, lookUp: { dns[$0.name] },
            connect: { uri in
                asked.append(uri)
                guard uri != "ldaps://dc3.corp.test:636" else {
                    throw LDAPError(
                        code: .serverDown, operation: "simple bind", diagnostic: "Can't contact LDAP server")
                }
                return try handle(uri)
            })
        #expect(asked == ["ldaps://dc3.corp.test:636", "ldaps://dc1.corp.test:636"])
        #expect(dc.candidate.host == "dc1.corp.test" && dc.connection.uri == "ldaps://dc1.corp.test:636")
        #expect(dc.candidate.foundBy == "found by DNS SRV _ldap._tcp.dc._msdcs.corp.test")
        #expect(dc.tried.map(\.host) == ["dc3.corp.test"])
        #expect(dc.tried.first?.reason.hasPrefix("LDAP simple bind failed: -1 serverDown") == true)
        #expect(dc.rootDSE == nil, "with a base DN configured, a read needs nothing from the rootDSE")
    }

    @Test func noDCReachableListsThemAll() {
        let e = errorText {
            try DomainControllers.open(
                resolution(), writable: false, logger: logger, lookUp: { _ in "dc1.corp.test:389 dc2.corp.test:389" },
                connect: { uri -> LDAPConnection in
                    throw LDAPError(
                        code: .timeout, operation: "connect to \(uri)", diagnostic: "no answer within 1.0 s (--timeout)"
                    )
                })
        }
        #expect(
            e?.hasPrefix(
                "no domain controller could be reached: dc1.corp.test: LDAP connect to ldaps://dc1.corp.test:636 failed: -5 timeout"
            ) == true)
        #expect(e?.contains("; dc2.corp.test: LDAP connect to ldaps://dc2.corp.test:636 failed") == true)
    }

    @Test func noSRVRecordNamesTheRecords() {
        let e = errorText {
            try DomainControllers.open(
                resolution(site: "Branch"), writable: false, logger: logger, lookUp: { _ in nil }, connect: handle)
        }
        #expect(
            e?.hasPrefix(
                "no domain controller found: DNS gave no usable SRV record for _ldap._tcp.Branch._sites.dc._msdcs.corp.test or _ldap._tcp.dc._msdcs.corp.test"
            ) == true)
    }

    @Test func aWrongPasswordIsTriedOnOneDCOnly() {
        var tries = 0
        #expect(throws: LDAPError.self) {
            try DomainControllers.open(
                resolution(), writable: false, logger: logger, lookUp: { _ in "dc1.corp.test:389 dc2.corp.test:389" },
                connect: { _ -> LDAPConnection in
                    tries += 1
                    throw LDAPError(code: .invalidCredentials, operation: "simple bind")
                })
        }
        #expect(tries == 1)
    }

    @Test func anExplicitURIIsThatDCAndItsErrorUnchanged() throws {
        let r = DirectoryResolution(
            locator: .uri("ldaps://dc9.corp.test", source: "directory.uri"), baseDN: "DC=corp,DC=test",
            domain: "corp.test",
            directory: settings)
        var lookups = 0
        let dc = try DomainControllers.open(
            r, writable: false, logger: logger,
            lookUp: { _ in
                lookups += 1
                return nil
            }, connect: handle)
        #expect(
            dc.candidate == .init(host: "dc9.corp.test", uri: "ldaps://dc9.corp.test", foundBy: "from directory.uri"))
        #expect(lookups == 0 && dc.tried.isEmpty)
        let down = LDAPError(code: .serverDown, operation: "simple bind")
        #expect(throws: down) {
            try DomainControllers.open(
                r, writable: false, logger: logger, connect: { _ -> LDAPConnection in throw down })
        }
    }
}

/// The real lookup (libldap's ldap_domain2hostlist) against a name server serving SRV records: run inside a
/// network namespace whose resolv.conf points at a dnsmasq (see docs/multi-dc.md, "Testing"), with
/// KCDCTL_SRV_TEST_DOMAIN naming its domain; skipped otherwise.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KCDCTL_SRV_TEST_DOMAIN"] != nil))
struct SRVLookupThroughLibldap {
    let domain = ProcessInfo.processInfo.environment["KCDCTL_SRV_TEST_DOMAIN"] ?? ""

    /// dnsmasq serves: dc1 (priority 0), bad_name (priority 5, not a host name), dc2 (priority 10) for the
    /// domain; dc3 for the site Branch; nothing for pdc.
    @Test func priorityOrderAndHostileAnswersRefused() throws {
        let answer = try DNSServiceRecords.hostList(.init(name: "dc._msdcs.\(domain)"))
        let text = try #require(answer)
        let parsed = DomainControllerDiscovery.parseHostList(text)
        #expect(parsed.targets.map(\.host) == ["dc1.\(domain)", "dc2.\(domain)"], "\(text)")
        #expect(parsed.targets.map(\.port) == [389, 3389])
        #expect(parsed.rejected == ["'bad_name.\(domain):389'"])
        let siteAnswer = try DNSServiceRecords.hostList(.init(name: "Branch._sites.dc._msdcs.\(domain)"))
        let site = try #require(siteAnswer)
        #expect(DomainControllerDiscovery.parseHostList(site).targets == [.init(host: "dc3.\(domain)", port: 389)])
        #expect(try DNSServiceRecords.hostList(.init(name: "pdc._msdcs.\(domain)")) == nil)
    }
}

func errorText(_ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return String(describing: error)
    }
}
