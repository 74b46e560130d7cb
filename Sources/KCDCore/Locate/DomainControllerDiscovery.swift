/// One answer of a DNS SRV lookup: a DC's host name and the LDAP port it advertises.
public struct SRVTarget: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// A domain controller kcdctl may connect to: its name, the URI it is reached at, and how it was found.
public struct DomainControllerCandidate: Sendable, Equatable {
    public var host: String
    public var uri: String
    /// As `whoami` says it: `from directory.uri`, `found by DNS SRV _ldap._tcp.dc._msdcs.corp.example.com`.
    public var foundBy: String

    public init(host: String, uri: String, foundBy: String) {
        (self.host, self.uri, self.foundBy) = (host, uri, foundBy)
    }
}

/// Finding DCs through the SRV records AD registers, decided without I/O: which names to look up, what of
/// the answer (hostile text) is used, and the URI each DC is reached at.
public enum DomainControllerDiscovery {
    /// At most this many DCs are tried: each may take --timeout, and past a few dozen a failure is local.
    public static let maximumCandidates = 32

    /// A DNS SRV lookup: `name` is what libldap's `ldap_domain2hostlist` takes (it prepends `_ldap._tcp.`).
    public struct Query: Sendable, Equatable {
        public var name: String
        public init(name: String) { self.name = name }
        /// The full record name, as messages show it.
        public var record: String { "_ldap._tcp." + name }
        public var foundBy: String { "found by DNS SRV \(record)" }
    }

    /// The site's DCs first (`_ldap._tcp.<site>._sites.dc._msdcs.<domain>`), then all of the domain's
    /// (`_ldap._tcp.dc._msdcs.<domain>`).
    public static func queries(domain: String, site: String?) -> [Query] {
        (site.map { [Query(name: "\($0)._sites.dc._msdcs.\(domain)")] } ?? [])
            + [Query(name: "dc._msdcs.\(domain)")]
    }

    /// The PDC emulator (`_ldap._tcp.pdc._msdcs.<domain>`): always writable, asked when a DC turns out read-only.
    public static func pdcQuery(domain: String) -> Query {
        Query(name: "pdc._msdcs.\(domain)")
    }

    /// `ldap_domain2hostlist`'s answer, "host:port host:port…" in RFC 2782 order (priority, then weighted
    /// shuffle), read as hostile text: each host must be a DNS name and each port 1–65535; anything else is
    /// rejected (returned escaped, for the log) and the rest kept in order.
    public static func parseHostList(_ text: String) -> (targets: [SRVTarget], rejected: [String]) {
        var targets: [SRVTarget] = []
        var rejected: [String] = []
        for item in text.split(separator: " ", omittingEmptySubsequences: true) {
            guard let colon = item.lastIndex(of: ":") else {
                rejected.append(Printable.quoted(String(item)))
                continue
            }
            var host = String(item[..<colon])
            if host.hasSuffix(".") { host.removeLast() }
            let portText = item[item.index(after: colon)...]
            guard hostProblem(host) == nil, let port = port(portText) else {
                rejected.append(Printable.quoted(String(item)))
                continue
            }
            targets.append(SRVTarget(host: host, port: port))
        }
        return (targets, rejected)
    }

    /// 1–65535, written as 1 to 5 ASCII digits.
    static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int(text), (1...65535).contains(value)
        else { return nil }
        return value
    }

    /// Why `host` is not a DNS host name (labels of letters, digits and '-', 1–63 bytes each, not starting or
    /// ending with '-', at most 253 bytes), or nil.
    public static func hostProblem(_ host: String) -> String? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            (1...253).contains(host.utf8.count)
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy {
                        $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                            || (0x61...0x7A).contains($0)
                    }
            }
        return valid ? nil : "\(Printable.quoted(host)) is not a DNS host name"
    }

    /// How a discovered DC is reached, by the same transport rules as a URI in the manifest: a simple bind
    /// over LDAPS on 636 (the SRV record advertises the LDAP port), or over StartTLS on the advertised port
    /// when `tls.startTLS: true`; GSSAPI (sealed) over plain LDAP on the advertised port.
    public static func uri(for target: SRVTarget, _ settings: DirectorySettings) -> String {
        switch settings.auth.method {
        case .simple where settings.tls.startTLS != true: "ldaps://\(target.host):636"
        default: "ldap://\(target.host):\(target.port)"
        }
    }

    /// The DCs to try, in order: each lookup's answers in the order given (the site's first), a DC named by
    /// several lookups once (where it was first found; names compared case-insensitively), at most
    /// `maximumCandidates`.
    public static func candidates(
        _ answers: [(query: Query, targets: [SRVTarget])], _ settings: DirectorySettings,
        excluding known: [DomainControllerCandidate] = []
    ) -> [DomainControllerCandidate] {
        var seen = Set(known.map { $0.host.lowercased() })
        var result: [DomainControllerCandidate] = []
        for (query, targets) in answers {
            for target in targets where seen.insert(target.host.lowercased()).inserted {
                guard result.count < maximumCandidates else { return result }
                result.append(
                    DomainControllerCandidate(
                        host: target.host, uri: uri(for: target, settings), foundBy: query.foundBy))
            }
        }
        return result
    }

    /// The one DC a URI names (`directory.uri`, `--uri`, `KCDCTL_URI`).
    public static func configured(uri: String, source: String) -> DomainControllerCandidate {
        DomainControllerCandidate(host: hostOf(uri: uri), uri: uri, foundBy: "from \(source)")
    }

    /// `ldaps://dc1.corp.example.com:636/` → `dc1.corp.example.com`; `ldap://[::1]` → `::1`.
    public static func hostOf(uri: String) -> String {
        var rest = Substring(uri)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        return String(rest.prefix { $0 != ":" && $0 != "/" })
    }
}

/// Discovery found no DC at all: the SRV records asked for, none with a usable answer.
public struct NoDomainControllerFound: Error, Equatable, CustomStringConvertible {
    public var records: [String]
    /// Answers that were not DNS names with a port, escaped.
    public var rejected: [String]

    public init(records: [String], rejected: [String] = []) {
        self.records = records
        self.rejected = rejected
    }

    public var description: String {
        var text =
            "no domain controller found: DNS gave no usable SRV record for \(records.joined(separator: " or "))"
        if !rejected.isEmpty { text += " (refused answers: \(rejected.prefix(4).joined(separator: ", ")))" }
        return text + "; check the resolver (/etc/resolv.conf) and directory.domain, or name one DC with directory.uri"
    }
}
