import Foundation
import Yams

/// Reads and checks a manifest. Every problem comes back as a `ManifestError` with the line and column
/// of the offending node; unknown keys are errors, so a typo never silently falls back to a default.
public enum ManifestLoader {
    /// Reads `path` (the core's only I/O). Relative file paths inside the manifest are taken relative
    /// to the manifest's folder.
    public static func load(path: String) throws -> Manifest {
        try load(path: path, directoryOnly: false)
    }

    /// A manifest that may declare no cluster: the `directory:` block (and `audit`, `plans`, `limits`) that
    /// `kcdctl import` reads. Every other rule is the same; clusters it does declare are checked as usual.
    /// Only `import` takes such a manifest: every other command needs at least one cluster.
    public static func loadDirectoryOnly(path: String) throws -> Manifest {
        try load(path: path, directoryOnly: true)
    }

    static func load(path: String, directoryOnly: Bool) throws -> Manifest {
        let data: [UInt8]
        do {
            data = try RegularFile.read(path, what: "manifest", limit: Manifest.maximumFileSize)
        } catch let error as FileError {
            throw ManifestError(file: path, location: nil, message: "cannot read the manifest: \(error)")
        }
        return try load(contents: data, path: path, directoryOnly: directoryOnly)
    }

    /// A manifest from its bytes, as if read from `path` (relative paths inside it are taken relative to
    /// its folder): how `apply PLAN.json` reads the manifest a saved plan embeds.
    public static func load(contents data: [UInt8], path: String) throws -> Manifest {
        try load(contents: data, path: path, directoryOnly: false)
    }

    static func load(contents data: [UInt8], path: String, directoryOnly: Bool) throws -> Manifest {
        guard data.count <= Manifest.maximumFileSize else {
            throw ManifestError(
                file: path, location: nil,
                message:
                    "the manifest is \(data.count) bytes, more than the \(Manifest.maximumFileSize) a manifest may have"
            )
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ManifestError(file: path, location: nil, message: "the manifest is not UTF-8 text")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var manifest = try parse(text, file: path, relativeTo: folder, directoryOnly: directoryOnly)
        manifest.sha256 = Digest.sha256(data)
        manifest.source = text
        return manifest
    }

    /// Why `name` cannot be a computer name in a manifest (`hosts`, `smbStorage`), or nil.
    public static func computerNameProblem(_ name: String) -> String? {
        Reader.computerNameProblem(name)
    }

    public static func parse(
        _ text: String, file: String, relativeTo folder: String? = nil, directoryOnly: Bool = false
    ) throws -> Manifest {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ManifestError(yaml: error, file: file)
        }
        guard let root else {
            throw ManifestError(file: file, location: .init(line: 1, column: 1), message: "the manifest is empty")
        }
        var reader = Reader(file: file, folder: folder, directoryOnly: directoryOnly)
        return try reader.manifest(root)
    }
}

extension ManifestError {
    init(yaml error: YamlError, file: String) {
        func located(_ mark: Mark, _ problem: String) -> ManifestError {
            ManifestError(
                file: file, location: .init(line: mark.line, column: mark.column),
                message: "invalid YAML: \(problem)")
        }
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            self = located(mark, problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            self = located(context.mark, "duplicate key \(keys) in one mapping")
        case let .reader(problem, _, _, _):
            self.init(file: file, location: nil, message: "invalid YAML: \(problem)")
        default:
            self.init(file: file, location: nil, message: "invalid YAML: \(error)")
        }
    }
}

/// Walks the YAML node tree into the manifest model, one checked key at a time.
private struct Reader {
    let file: String
    let folder: String?
    /// `kcdctl import`'s input: no cluster is needed.
    var directoryOnly = false
    var hostsPerCluster = Manifest.defaultHostsPerCluster
    /// Problems found so far: reading goes on past each one that leaves the rest readable, so that one run
    /// reports them all.
    final class Problems { var list: [ManifestError] = [] }
    let problems = Problems()

    /// `body`'s value, or nil with its problem noted.
    func noting<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch let problem as ManifestError {
            problems.list.append(problem)
            return nil
        } catch {
            return nil
        }
    }

    mutating func manifest(_ root: Node) throws -> Manifest {
        do {
            let manifest = try read(root)
            if problems.list.isEmpty { return manifest }
        } catch let problem as ManifestError {
            problems.list.append(problem)
        }
        throw ManifestError.combined(problems.list)
    }

    private mutating func read(_ root: Node) throws -> Manifest {
        let map = try mapping(root, "the manifest")
        try checkKeys(
            map, allowed: ["version", "directory", "clusters", "audit", "limits", "plans"], in: "the manifest")
        let versionNode = try required(map, "version", in: "the manifest", root)
        guard let version = wholeNumber(versionNode) else {
            throw error(versionNode, "version must be a number; this kcdctl reads version \(Manifest.version)")
        }
        guard version == Manifest.version else {
            throw error(
                versionNode, "unsupported manifest version \(version); this kcdctl reads version \(Manifest.version)")
        }
        let directory =
            noting { try directorySettings(try required(map, "directory", in: "the manifest", root)) }
            ?? DirectorySettings(auth: AuthSettings())
        noting { try limits(map) }
        var clusterNodes: [Node] = []
        if !directoryOnly || map["clusters"].map({ !isNull($0) }) == true {
            let clustersNode = try required(map, "clusters", in: "the manifest", root)
            clusterNodes = try sequence(clustersNode, "clusters")
            guard !clusterNodes.isEmpty || directoryOnly else {
                throw error(clustersNode, "clusters is empty: declare at least one cluster")
            }
        }
        let parsed = clusterNodes.compactMap { node in noting { (try cluster(node), node) } }
        noting { try checkAcrossClusters(parsed.map(\.0), parsed.map(\.1)) }
        var manifest = Manifest(directory: directory, clusters: parsed.map(\.0))
        noting {
            if let auditNode = map["audit"] {
                let audit = try mapping(auditNode, "audit")
                try checkKeys(audit, allowed: ["file"], in: "audit")
                manifest.auditFile = try string(audit, "file").map(resolvePath)
            }
        }
        noting {
            if let plansNode = map["plans"] {
                let plans = try mapping(plansNode, "plans")
                try checkKeys(plans, allowed: ["verifyKey"], in: "plans")
                manifest.planVerifyKey = try string(plans, "verifyKey").map(resolvePath)
            }
        }
        return manifest
    }

    mutating func limits(_ map: Node.Mapping) throws {
        if let limitsNode = map["limits"] {
            let limits = try mapping(limitsNode, "limits")
            try checkKeys(limits, allowed: ["hostsPerCluster"], in: "limits")
            if let n = limits["hostsPerCluster"] {
                guard let value = wholeNumber(n), (1...Manifest.hostsPerClusterCeiling).contains(value) else {
                    throw error(
                        n, "limits.hostsPerCluster must be a whole number from 1 to \(Manifest.hostsPerClusterCeiling)")
                }
                hostsPerCluster = value
            }
        }
    }

    // MARK: directory

    func directorySettings(_ node: Node) throws -> DirectorySettings {
        let map = try mapping(node, "directory")
        try checkKeys(
            map, allowed: ["uri", "baseDN", "domain", "site", "tls", "auth", "valueLimit"], in: "directory")
        let uri = try string(map, "uri")
        if let uri, let n = map["uri"], !DirectorySettings.hasLDAPScheme(uri) {
            throw error(n, "directory.uri must start with ldaps:// or ldap:// (got '\(uri)')")
        }
        let baseDN = try string(map, "baseDN")
        if let baseDN, let n = map["baseDN"], !baseDN.contains("=") {
            throw error(n, "directory.baseDN '\(baseDN)' is not a DN; expected e.g. DC=corp,DC=example,DC=com")
        }
        var tls = TLSSettings()
        if let tlsNode = map["tls"] {
            let t = try mapping(tlsNode, "directory.tls")
            try checkKeys(t, allowed: ["caFile", "insecureSkipVerify", "startTLS"], in: "directory.tls")
            tls.caFile = try string(t, "caFile").map(resolvePath)
            tls.insecureSkipVerify = try bool(t, "insecureSkipVerify") ?? false
            tls.startTLS = try bool(t, "startTLS")
        }
        let authNode = try required(map, "auth", in: "directory", node)
        let a = try mapping(authNode, "directory.auth")
        if let (key, _) = a.first(where: {
            $0.key.string?.lowercased().contains("password") == true && $0.key.string != "passwordFile"
        }) {
            throw error(
                key,
                "a password is never written in the manifest: use auth.passwordFile (a file only its owner can read) or the KCDCTL_BIND_PASSWORD environment variable"
            )
        }
        let method = try oneOf(a, "method", AuthSettings.Method.self) ?? .simple
        var auth = AuthSettings(method: method)
        switch method {
        case .simple:
            try checkKeys(a, allowed: ["method", "bindDN", "passwordFile"], in: "directory.auth (method simple)")
            auth.bindDN = try nonEmptyString(
                try required(a, "bindDN", in: "directory.auth", authNode), "directory.auth.bindDN")
            auth.passwordFile = try string(a, "passwordFile").map(resolvePath)
        case .gssapi:
            try checkKeys(
                a, allowed: ["method", "keytab", "principal", "minSSF"], in: "directory.auth (method gssapi)")
            auth.keytab = try string(a, "keytab").map(resolvePath)
            auth.principal = try string(a, "principal")
            if let n = a["keytab"], auth.principal == nil {
                throw error(
                    n,
                    "auth.keytab needs auth.principal: the principal to take from the keytab, e.g. svc-kcd@CORP.EXAMPLE.COM"
                )
            }
            if let n = a["minSSF"] {
                guard let ssf = wholeNumber(n), ssf >= 0 else {
                    throw error(n, "minSSF must be a whole number of at least 0 (56 by default)")
                }
                auth.minimumSSF = ssf
            }
        }
        let domain = try string(map, "domain")
        if let domain, let n = map["domain"], let problem = Self.domainProblem(domain) { throw error(n, problem) }
        let site = try string(map, "site")
        if let site, let n = map["site"] {
            if let problem = Self.siteProblem(site) { throw error(n, problem) }
            if domain == nil {
                throw error(
                    n,
                    "directory.site needs directory.domain: the site chooses among the DCs discovered in that domain's DNS"
                )
            }
            if uri != nil {
                throw error(
                    n,
                    "directory.site chooses among the DCs discovered through DNS, but directory.uri names one DC: remove one of them"
                )
            }
        }
        var settings = DirectorySettings(uri: uri, baseDN: baseDN, domain: domain, site: site, tls: tls, auth: auth)
        if let n = map["valueLimit"] {
            guard let limit = wholeNumber(n), (1...DirectorySettings.valueLimitCeiling).contains(limit) else {
                throw error(
                    n,
                    "directory.valueLimit must be a whole number from 1 to \(DirectorySettings.valueLimitCeiling) (1200 by default: Active Directory's limit with 8 KB database pages)"
                )
            }
            settings.valueLimit = limit
        }
        if let uri, let problem = settings.transportProblem(uri: uri) {
            throw error(map["uri"] ?? node, problem)
        }
        return settings
    }

    func resolvePath(_ path: String) -> String {
        guard let folder, !path.hasPrefix("/") else { return path }
        return folder + "/" + path
    }

    // MARK: clusters

    func cluster(_ node: Node) throws -> Cluster {
        let map = try mapping(node, "a cluster")
        let nameNode = try required(map, "name", in: "a cluster", node)
        let name = try nonEmptyString(nameNode, "cluster name")
        guard name.count <= 128 else {
            throw error(nameNode, "cluster name \(Printable.quoted(name)) is longer than 128 characters")
        }
        let what = "cluster '\(name)'"
        try checkKeys(
            map, allowed: ["name", "mode", "services", "nameForms", "hosts", "smbStorage", "extraTargets", "prune"],
            in: what)
        guard let mode = try oneOf(map, "mode", DelegationMode.self) else {
            throw error(
                node,
                "\(what) has no mode: write mode: any-protocol (what Hyper-V live migration over WinRM needs), mode: kerberos-only or mode: resource-based"
            )
        }

        var services = Manifest.defaultServices
        if let n = map["services"] {
            services = try names(n, "\(what) services", allowEmpty: false, check: SPN.serviceClassProblem)
        }
        var nameForms = NameForm.allCases
        if let n = map["nameForms"] {
            nameForms = try sequence(n, "\(what) nameForms").map { item in
                guard let s = item.string, let form = NameForm(rawValue: s) else {
                    throw error(item, "unknown name form '\(item.string ?? "?")' in \(what); expected short or fqdn")
                }
                return form
            }
            guard !nameForms.isEmpty else { throw error(n, "\(what) nameForms is empty; expected short, fqdn or both") }
        }
        let hostsNode = try required(map, "hosts", in: what, node)
        let hosts = try names(hostsNode, "\(what) hosts", allowEmpty: false, check: Self.computerNameProblem)
        guard hosts.count <= hostsPerCluster else {
            throw error(
                hostsNode,
                "\(what) has \(hosts.count) hosts, more than limits.hostsPerCluster (\(hostsPerCluster)); a Windows failover cluster has at most 64 nodes: split it, or raise limits.hostsPerCluster if this is really meant"
            )
        }
        let smbStorage =
            try map["smbStorage"].map {
                try names($0, "\(what) smbStorage", allowEmpty: true, check: Self.computerNameProblem)
            } ?? []
        let extraTargets =
            try map["extraTargets"].map { n in
                try names(n, "\(what) extraTargets", allowEmpty: true, check: SPN.problem).map(SPN.init)
            } ?? []
        let prune = try oneOf(map, "prune", Prune.self) ?? .managed
        // Resource-based delegation is written on the target: kcdctl writes only the manifest's hosts.
        if mode.isResourceBased, let key = ["smbStorage", "extraTargets"].first(where: { map[$0] != nil }) {
            throw error(
                map[key]!,
                "\(what) is resource-based: \(key) is for classic modes (resource-based delegation is written on the target, and kcdctl writes only the cluster's hosts); grant storage servers with a classic cluster or by hand"
            )
        }
        return Cluster(
            name: name, mode: mode, services: services, nameForms: nameForms, hosts: hosts,
            smbStorage: smbStorage, extraTargets: extraTargets, prune: prune, location: location(node))
    }

    /// Computer names as written in `hosts` and `smbStorage`: the sAMAccountName without its `$`, which for a
    /// Hyper-V host or file server is its NetBIOS name: 1 to 15 letters, digits and hyphens (DNS label
    /// characters), not starting or ending with a hyphen.
    static func computerNameProblem(_ name: String) -> String? {
        let shown = Printable.quoted(name)
        if name.hasSuffix("$") && name.count <= 16 {
            return "write the computer name without the trailing $: '\(Printable.escape(String(name.dropLast())))'"
        }
        if name.contains("/") { return "\(shown) is not a computer name: it contains '/'" }
        if name.contains(where: { $0.isWhitespace || $0.isNewline }) {
            return "\(shown) is not a computer name: it contains white space"
        }
        if name.utf8.count > 15 {
            return "\(shown) is not a computer name: longer than 15 characters, the most a NetBIOS name has"
        }
        if !name.utf8.allSatisfy({
            $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
        }) {
            return "\(shown) is not a computer name: only letters, digits and '-' are allowed"
        }
        if name.hasPrefix("-") || name.hasSuffix("-") {
            return "\(shown) is not a computer name: it starts or ends with '-'"
        }
        return nil
    }

    /// A DNS domain: labels of letters, digits and hyphens, at most 253 characters.
    static func domainProblem(_ domain: String) -> String? {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            domain.utf8.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy {
                        $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                            || (0x61...0x7A).contains($0)
                    }
            }
        return valid
            ? nil : "directory.domain \(Printable.quoted(domain)) is not a DNS domain name (e.g. corp.example.com)"
    }

    /// An AD site name as discovery puts it into a DNS name (`<site>._sites.dc._msdcs.<domain>`): one DNS label.
    static func siteProblem(_ site: String) -> String? {
        let valid =
            (1...63).contains(site.utf8.count) && !site.hasPrefix("-") && !site.hasSuffix("-")
            && site.utf8.allSatisfy {
                $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
            }
        return valid
            ? nil
            : "directory.site \(Printable.quoted(site)) is not an AD site name usable in DNS: 1 to 63 letters, digits and '-', not starting or ending with '-' (e.g. Default-First-Site-Name)"
    }

    func checkAcrossClusters(_ clusters: [Cluster], _ nodes: [Node]) throws {
        var clusterNames: [String: Cluster] = [:]
        for (cluster, node) in zip(clusters, nodes) {
            if let first = clusterNames[cluster.name.lowercased()] {
                throw error(node, "cluster name '\(cluster.name)' is used twice (first at line \(first.location.line))")
            }
            clusterNames[cluster.name.lowercased()] = cluster
        }
        var modeOf: [ComputerName: Cluster] = [:]
        for (cluster, node) in zip(clusters, nodes) {
            for host in cluster.hosts {
                if let other = modeOf[ComputerName(host)], other.mode != cluster.mode {
                    let at = hostNode(host, in: node) ?? node
                    throw error(
                        at,
                        "host \(host) is in cluster '\(other.name)' (mode \(other.mode.rawValue), line \(other.location.line)) and in cluster '\(cluster.name)' (mode \(cluster.mode.rawValue)): a host has one delegation mode"
                    )
                }
                modeOf[ComputerName(host)] = modeOf[ComputerName(host)] ?? cluster
            }
        }
    }

    func hostNode(_ host: String, in cluster: Node) -> Node? {
        cluster.mapping?["hosts"]?.sequence?.first { $0.string.map(ComputerName.init) == ComputerName(host) }
    }

    // MARK: typed access with locations

    func names(_ node: Node, _ what: String, allowEmpty: Bool, check: (String) -> String?) throws -> [String] {
        let items = try sequence(node, what)
        if items.isEmpty && !allowEmpty { throw error(node, "\(what) is empty") }
        var seen: [String: Node] = [:]
        return try items.map { item in
            let value = try nonEmptyString(item, "an entry of \(what)")
            if let problem = check(value) { throw error(item, problem) }
            if let first = seen[value.lowercased()] {
                throw error(item, "\(value) is listed twice in \(what) (first at line \(location(first).line))")
            }
            seen[value.lowercased()] = item
            return value
        }
    }

    func mapping(_ node: Node, _ what: String) throws -> Node.Mapping {
        guard let map = node.mapping else { throw error(node, "\(what) must be a mapping of keys to values") }
        return map
    }

    func sequence(_ node: Node, _ what: String) throws -> [Node] {
        if isNull(node) { return [] }
        guard let seq = node.sequence else { throw error(node, "\(what) must be a list, e.g. [A, B]") }
        return Array(seq)
    }

    func required(_ map: Node.Mapping, _ key: String, in what: String, _ parent: Node) throws -> Node {
        guard let node = map[key], !isNull(node) else { throw error(parent, "\(what) has no '\(key)'") }
        return node
    }

    func string(_ map: Node.Mapping, _ key: String) throws -> String? {
        guard let node = map[key], !isNull(node) else { return nil }
        return try nonEmptyString(node, key)
    }

    func nonEmptyString(_ node: Node, _ what: String) throws -> String {
        guard let scalar = node.scalar else { throw error(node, "\(what) must be a single value") }
        let value = scalar.string.trimmingWhitespace()
        guard !value.isEmpty else { throw error(node, "\(what) is empty") }
        // Nothing a person could not see in a review: no NUL, escape sequence or line break inside a value.
        guard !Printable.hasControlCharacter(value) else {
            throw error(node, "\(what) \(Printable.quoted(value)) has a control character (NUL, line break, escape…)")
        }
        return value
    }

    /// A plain decimal number. Not Yams' `Node.int`: it also reads YAML 1.1 base-60 (`1:00:00`), octal and
    /// hex forms, and traps on a base-60 number that overflows (found by `make fuzz`).
    func wholeNumber(_ node: Node) -> Int? {
        guard let scalar = node.scalar, scalar.string.utf8.count <= 20 else { return nil }
        return Int(scalar.string)
    }

    func bool(_ map: Node.Mapping, _ key: String) throws -> Bool? {
        guard let node = map[key] else { return nil }
        guard node.scalar != nil, let b = node.bool else { throw error(node, "\(key) must be true or false") }
        return b
    }

    func oneOf<T: RawRepresentable & CaseIterable>(_ map: Node.Mapping, _ key: String, _: T.Type) throws -> T?
    where T.RawValue == String {
        guard let node = map[key], !isNull(node) else { return nil }
        let raw = try nonEmptyString(node, key)
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(node, "unknown \(key) '\(raw)'; expected one of: \(allowed)")
        }
        return value
    }

    /// Unknown keys are noted, not thrown: what follows is still read and checked.
    func checkKeys(_ map: Node.Mapping, allowed: [String], in what: String) throws {
        for (key, _) in map {
            guard let name = key.string else {
                problems.list.append(error(key, "keys in \(what) must be plain words"))
                continue
            }
            if !allowed.contains(name) {
                let hint =
                    allowed.first { $0.lowercased() == name.lowercased() }.map { " (did you mean '\($0)'?)" } ?? ""
                problems.list.append(
                    error(
                        key,
                        "unknown key '\(name)' in \(what)\(hint); expected one of: \(allowed.joined(separator: ", "))"))
            }
        }
    }

    func isNull(_ node: Node) -> Bool {
        node.scalar != nil && node.tag.description == "tag:yaml.org,2002:null"
    }

    func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return .init(line: 0, column: 0) }
        return .init(line: mark.line, column: mark.column)
    }

    func error(_ node: Node, _ message: String) -> ManifestError {
        ManifestError(file: file, location: location(node), message: message)
    }
}
