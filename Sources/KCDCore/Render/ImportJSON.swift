/// `kcdctl import --format json`: the discovered graph (hosts, edges, inferred clusters, findings) and what
/// the first plan changes, for scripts. Fields are only ever added.
public enum ImportJSON {
    public static let formatVersion = 1

    struct Document: Encodable {
        var formatVersion: Int
        var directory: Directory
        var hosts: [ImportedHost]
        var edges: [ImportEdge]
        var storage: [String]
        var clusters: [ClusterEntry]
        var unplaced: [String]
        var findings: [ImportFinding]
        var firstPlan: Plan.Summary
        var summary: [String]
    }

    struct Directory: Encodable {
        var uri: String?
        var baseDN: String?
    }

    struct ClusterEntry: Encodable {
        var name: String
        var mode: DelegationMode
        var services: [String]
        var nameForms: [NameForm]
        var hosts: [String]
        var smbStorage: [String]
        var extraTargets: [String]
        var prune: String
    }

    public static func render(_ result: ImportResult) -> String {
        let clusters = result.manifest.clusters.map {
            ClusterEntry(
                name: $0.name, mode: $0.mode, services: $0.services, nameForms: $0.nameForms, hosts: $0.hosts,
                smbStorage: $0.smbStorage, extraTargets: $0.extraTargets.map(\.value), prune: $0.prune.rawValue)
        }
        var storage: [String] = []
        var seen = Set<ComputerName>()
        for edge in result.edges where edge.kind == .storage && seen.insert(ComputerName(edge.to)).inserted {
            storage.append(edge.to)
        }
        return JSONOutput.text(
            Document(
                formatVersion: formatVersion,
                directory: Directory(uri: result.manifest.directory.uri, baseDN: result.manifest.directory.baseDN),
                hosts: result.hosts, edges: result.edges,
                storage: storage.sorted { ComputerName($0) < ComputerName($1) },
                clusters: clusters, unplaced: result.unplaced.map(\.name), findings: result.findings,
                firstPlan: result.firstPlan.summary, summary: result.summary))
    }
}

/// What `kcdctl import` tells the admin once the manifest is written.
public enum ImportText {
    public static func render(_ result: ImportResult, writtenTo path: String) -> String {
        let m = result.manifest
        let storage = Set(m.clusters.flatMap(\.smbStorage).map(ComputerName.init)).count
        var out =
            "Wrote \(path): \(m.clusters.count) cluster\(m.clusters.count == 1 ? "" : "s"), \(m.hosts.count) host\(m.hosts.count == 1 ? "" : "s"), \(storage) storage server\(storage == 1 ? "" : "s")"
        if !result.unplaced.isEmpty {
            out +=
                "; \(result.unplaced.count) host\(result.unplaced.count == 1 ? "" : "s") without delegation listed, commented out, for you to place"
        }
        out += ".\n"
        if !result.findings.isEmpty {
            out += "\nFindings:\n"
            for f in result.findings {
                out += "  \(f.severity.rawValue.uppercased()) \(f.subject): \(f.message)\n"
            }
        }
        out += "\n" + result.summary.map { $0 + "\n" }.joined()
        out += "\nNext: review \(path), then `kcdctl validate -f \(path)` and `kcdctl plan -f \(path)`.\n"
        return out
    }
}
