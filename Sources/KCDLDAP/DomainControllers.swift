// Which domain controller a command talks to: the one a URI names, or the first discovered through DNS SRV
// that binds (and, for a write, is writable). The decisions are KCDCore's (DomainControllerDiscovery,
// DomainControllerChoice); this file does their I/O.
import KCDCore
import Logging

/// A bound connection to the DC chosen, how it was found, the DCs tried before it, and its rootDSE when read.
public struct DomainControllerConnection {
    public let connection: LDAPConnection
    public let candidate: DomainControllerCandidate
    public let tried: [DomainControllerAttempt]
    /// Read when the base DN was not configured or a writable DC was needed.
    public let rootDSE: RootDSE?
}

/// The DC named by a URI is read-only: apply writes only to a writable DC.
public struct ReadOnlyDomainController: Error, Equatable, CustomStringConvertible {
    public var host: String
    public var uri: String
    public var source: String

    public var description: String {
        "\(host) (\(uri), from \(source)) is a read-only domain controller (RODC): apply writes only to a writable "
            + "DC: name one, or set directory.domain without a URI to discover one; nothing was written"
    }
}

public enum DomainControllers {
    /// Connects and binds to the DC `resolution` leads to.
    ///
    /// - Parameters:
    ///   - writable: apply: a read-only DC is not used (after it the PDC emulator is tried, then the rest).
    ///   - lookUp: a DNS SRV lookup (`DNSServiceRecords.hostList`; the tests pass their own).
    ///   - connect: connect to a URI and bind, within --timeout.
    public static func open(
        _ resolution: DirectoryResolution, writable: Bool, logger: Logger,
        lookUp: (DomainControllerDiscovery.Query) throws -> String? = DNSServiceRecords.hostList,
        connect: (String) throws -> LDAPConnection
    ) throws -> DomainControllerConnection {
        let needsRootDSE = writable || resolution.baseDN == nil
        switch resolution.locator {
        case let .uri(uri, source):
            // Exactly this DC, as before discovery existed: its errors unchanged.
            let candidate = DomainControllerDiscovery.configured(uri: uri, source: source)
            let connection = try connect(uri)
            let rootDSE = needsRootDSE ? try connection.rootDSE() : nil
            if writable, let rootDSE, try connection.isReadOnly(rootDSE) == true {
                throw ReadOnlyDomainController(host: candidate.host, uri: uri, source: source)
            }
            logChosen(candidate, tried: [], logger)
            return DomainControllerConnection(connection: connection, candidate: candidate, tried: [], rootDSE: rootDSE)
        case let .discover(domain, site):
            let settings = resolution.directory
            let queries = DomainControllerDiscovery.queries(domain: domain, site: site)
            var rejected: [String] = []
            let answers = queries.map { query in
                (query: query, targets: lookUpTargets(query, lookUp, logger, rejected: &rejected))
            }
            let candidates = DomainControllerDiscovery.candidates(answers, settings)
            guard !candidates.isEmpty else {
                throw NoDomainControllerFound(records: queries.map(\.record), rejected: rejected)
            }
            logger.debug(
                "domain controllers discovered",
                metadata: ["candidates": "\(candidates.map { "\($0.host) (\($0.foundBy))" }.joined(separator: ", "))"])
            var rootDSEs: [String: RootDSE] = [:]
            let chosen = try DomainControllerChoice.choose(
                candidates, writable: writable,
                connect: { candidate in
                    logger.debug(
                        "trying domain controller", metadata: ["host": "\(candidate.host)", "uri": "\(candidate.uri)"])
                    return try connect(candidate.uri)
                },
                isFinal: endsFailover, reason: { ($0 as? LDAPError)?.summary ?? String(describing: $0) },
                unsuitable: { connection, candidate in
                    guard needsRootDSE else { return nil }
                    let rootDSE = try connection.rootDSE()
                    rootDSEs[candidate.uri] = rootDSE
                    guard writable, try connection.isReadOnly(rootDSE) == true else { return nil }
                    return "read-only domain controller (RODC)"
                },
                afterUnsuitable: {
                    var ignored: [String] = []
                    let pdc = DomainControllerDiscovery.pdcQuery(domain: domain)
                    let targets = lookUpTargets(pdc, lookUp, logger, rejected: &ignored)
                    return DomainControllerDiscovery.candidates([(pdc, targets)], settings)
                })
            for attempt in chosen.tried {
                logger.debug(
                    "domain controller not used", metadata: ["host": "\(attempt.host)", "reason": "\(attempt.reason)"])
            }
            logChosen(chosen.candidate, tried: chosen.tried, logger)
            return DomainControllerConnection(
                connection: chosen.connection, candidate: chosen.candidate, tried: chosen.tried,
                rootDSE: rootDSEs[chosen.candidate.uri])
        }
    }

    static func lookUpTargets(
        _ query: DomainControllerDiscovery.Query, _ lookUp: (DomainControllerDiscovery.Query) throws -> String?,
        _ logger: Logger, rejected: inout [String]
    ) -> [SRVTarget] {
        let text: String?
        do {
            text = try lookUp(query)
        } catch {
            logger.debug("DNS SRV lookup failed", metadata: ["record": "\(query.record)", "error": "\(error)"])
            return []
        }
        let parsed = DomainControllerDiscovery.parseHostList(text ?? "")
        logger.debug(
            "DNS SRV lookup",
            metadata: ["record": "\(query.record)", "answer": "\(parsed.targets.map { "\($0.host):\($0.port)" })"])
        if !parsed.rejected.isEmpty {
            logger.warning(
                "DNS SRV answers refused (not a DNS host name with a port 1-65535)",
                metadata: ["record": "\(query.record)", "refused": "\(parsed.rejected.joined(separator: ", "))"])
        }
        rejected += parsed.rejected
        return parsed.targets
    }

    static func logChosen(_ candidate: DomainControllerCandidate, tried: [DomainControllerAttempt], _ logger: Logger) {
        logger.debug(
            "domain controller chosen",
            metadata: [
                "host": "\(candidate.host)", "uri": "\(candidate.uri)", "how": "\(candidate.foundBy)",
                "tried": "\(tried.map(\.description).joined(separator: "; "))",
            ])
    }

    /// Whether an error connecting to one DC ends the search instead of trying the next: a refused password
    /// (another DC would refuse it too, and each try counts toward the account's lockout) and the other
    /// answers that say the credentials or the settings are wrong, and anything that is not the directory's
    /// answer (a file that cannot be read). A DC that cannot be reached, times out, is busy or unavailable,
    /// fails TLS verification or refuses a Kerberos bind (its SPN may be missing) is passed over.
    /// A DC of `domain` by DNS alone (no LDAP): the PDC emulator (`_ldap._tcp.pdc._msdcs`), else the first DC
    /// the domain's SRV records name; nil when DNS names none. (verify's default SPN to be refused.)
    public static func someDomainController(domain: String) -> String? {
        let queries =
            [DomainControllerDiscovery.pdcQuery(domain: domain)]
            + DomainControllerDiscovery.queries(domain: domain, site: nil)
        for query in queries {
            guard let text = try? DNSServiceRecords.hostList(query),
                let target = DomainControllerDiscovery.parseHostList(text).targets.first
            else { continue }
            return target.host
        }
        return nil
    }

    public static func endsFailover(_ error: any Error) -> Bool {
        if error is TLSVerificationError { return false }
        guard let error = error as? LDAPError else { return true }
        return [
            .invalidCredentials, .inappropriateAuthentication, .authMethodNotSupported, .strongerAuthRequired,
            .confidentialityRequired, .paramError,
        ].contains(error.code)
    }
}

extension LDAPConnection {
    /// The DC's rootDSE: its domain partition, its nTDSDSA object and its name.
    public func rootDSE() throws -> RootDSE {
        let entry = try search(
            base: "", scope: .base, filter: "(objectClass=*)",
            attributes: ["defaultNamingContext", "dsServiceName", "dnsHostName"]
        ).first
        return RootDSE(
            defaultNamingContext: entry?["defaultNamingContext"].first, dsServiceName: entry?["dsServiceName"].first,
            dnsHostName: entry?["dnsHostName"].first)
    }

    /// Whether the DC is read-only, from its nTDSDSA object (`msDS-isRODC`, object class `nTDSDSARO`); nil when
    /// it cannot tell (no dsServiceName, or nothing says): such a DC is used, and a write it refers elsewhere is
    /// still refused cleanly (`ReadOnlyRefusal`).
    public func isReadOnly(_ rootDSE: RootDSE) throws -> Bool? {
        guard let dsa = rootDSE.dsServiceName, RootDSE.namingContextProblem(dsa) == nil else { return nil }
        let entry: LDAPEntry?
        do {
            entry = try search(
                base: dsa, scope: .base, filter: "(objectClass=*)", attributes: ["msDS-isRODC", "objectClass"]
            )
            .first
        } catch let error as LDAPError where error.code == .noSuchObject || error.code == .insufficientAccessRights {
            logger.debug("read-only check not possible", metadata: ["dsServiceName": "\(dsa)", "error": "\(error)"])
            return nil
        }
        guard let entry else { return nil }
        return RootDSE.isReadOnly(isRODC: entry["msDS-isRODC"], objectClasses: entry["objectClass"])
    }
}
