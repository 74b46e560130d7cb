/// The manifest `kcdctl import` writes: YAML that `ManifestLoader` reads back to the same manifest, with the
/// reasons for each inference and every finding as comments. Deterministic: the same import gives the same
/// bytes (no date, no order from a hash table). Every string is written double-quoted and escaped, so a value
/// with `#`, `:`, a leading `*` or `&`, or a quote reads back as itself; comments hold only escaped text
/// (`Printable`), so no directory value can end a comment line and start YAML of its own.
public enum ImportYAML {
    public static func render(_ result: ImportResult) -> String {
        var out = ""
        func line(_ text: String = "") { out += text + "\n" }
        func comment(_ text: String, indent: String = "") {
            line(indent + (text.isEmpty ? "#" : "# " + safe(text)))
        }
        let m = result.manifest
        let d = m.directory
        comment("Written by `kcdctl import` from \(d.uri ?? "?") (\(d.baseDN ?? "?")): the constrained delegation")
        comment("Active Directory held, as a manifest. Review every comment below before committing it to git;")
        comment("`kcdctl plan -f` this file shows exactly what the first apply would change (docs/adopting.md).")
        comment("")
        for text in result.summary { comment(text) }
        if !result.findings.isEmpty {
            comment("")
            comment("Findings:")
            for f in result.findings {
                comment("  \(f.severity.rawValue.uppercased()) \(f.subject): \(f.message)")
            }
        }
        line("version: \(Manifest.version)")
        line("directory:")
        if let uri = d.uri { line("  uri: \(quoted(uri))") }
        if let baseDN = d.baseDN { line("  baseDN: \(quoted(baseDN))") }
        if let domain = d.domain { line("  domain: \(quoted(domain))") }
        if d.tls != TLSSettings() {
            line("  tls:")
            if let ca = d.tls.caFile { line("    caFile: \(quoted(ca))") }
            if d.tls.insecureSkipVerify { line("    insecureSkipVerify: true") }
            if let startTLS = d.tls.startTLS { line("    startTLS: \(startTLS)") }
        }
        line("  auth:")
        line("    method: \(quoted(d.auth.method.rawValue))")
        switch d.auth.method {
        case .simple:
            line("    bindDN: \(quoted(d.auth.bindDN ?? ""))")
            if let file = d.auth.passwordFile { line("    passwordFile: \(quoted(file))") }
        case .gssapi:
            if let keytab = d.auth.keytab { line("    keytab: \(quoted(keytab))") }
            if let principal = d.auth.principal { line("    principal: \(quoted(principal))") }
            if d.auth.minimumSSF != AuthSettings.defaultMinimumSSF { line("    minSSF: \(d.auth.minimumSSF)") }
        }
        if let audit = m.auditFile {
            line("audit:")
            line("  file: \(quoted(audit))")
        }
        if let key = m.planVerifyKey {
            line("plans:")
            line("  verifyKey: \(quoted(key))")
        }
        if let limit = result.hostsPerClusterLimit {
            comment("A cluster of \(limit) hosts: more than the default limit of \(Manifest.defaultHostsPerCluster).")
            line("limits:")
            line("  hostsPerCluster: \(limit)")
        }
        line("clusters:")
        if result.clusters.isEmpty { line("  []") }
        for (i, imported) in result.clusters.enumerated() {
            if i > 0 { line() }
            let c = imported.cluster
            for note in imported.notes { comment(note, indent: "  ") }
            line("  - name: \(quoted(c.name))")
            line("    mode: \(quoted(c.mode.rawValue))")
            line("    services: [\(c.services.map(quoted).joined(separator: ", "))]")
            line("    nameForms: [\(c.nameForms.map { quoted($0.rawValue) }.joined(separator: ", "))]")
            line("    hosts:")
            for host in c.hosts {
                line("      - \(quoted(host))" + note(imported.hostNotes[ComputerName(host).key]))
            }
            // A resource-based cluster may not have these keys at all (the loader refuses them, even empty).
            if !c.mode.isResourceBased {
                list("smbStorage", c.smbStorage.map { ($0, imported.storageNotes[ComputerName($0).key]) }, &out)
                list("extraTargets", c.extraTargets.map { ($0.value, imported.extraTargetNotes[$0.key]) }, &out)
            }
            line("    prune: \(quoted(c.prune.rawValue))")
        }
        if !result.unplaced.isEmpty {
            line()
            comment(
                "Hyper-V hosts that delegate to nothing: import cannot tell which cluster they belong to.", indent: "  "
            )
            comment(
                "Add each to the cluster it migrates with above, or uncomment this one and check its mode", indent: "  "
            )
            comment("(docs/adopting.md). Until then kcdctl does not manage them.", indent: "  ")
            let modes = Set(result.unplaced.map(\.mode))
            let mode = modes.count == 1 ? modes.first! : .anyProtocol
            line("  # - name: \(quoted("unplaced"))")
            line("  #   mode: \(quoted(mode.rawValue))")
            line("  #   hosts:")
            for host in result.unplaced {
                var notes = ["\(host.mode.rawValue) in AD"]
                if host.unconstrained { notes.append("SECURITY: unconstrained delegation (TRUSTED_FOR_DELEGATION)") }
                line("  #     - \(quoted(host.name))" + note(notes.joined(separator: "; ")))
            }
        }
        return out
    }

    private static func note(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "  # " + safe(text)
    }

    /// Comment text on one line: messages already show directory text escaped (`Printable`); anything still
    /// outside printable ASCII is escaped here, so that no byte can end the comment.
    static func safe(_ text: String) -> String {
        Printable.isPrintableASCII(text) ? text : Printable.escape(text)
    }

    private static func list(_ key: String, _ items: [(String, String?)], _ out: inout String) {
        guard !items.isEmpty else {
            out += "    \(key): []\n"
            return
        }
        out += "    \(key):\n"
        for (value, text) in items { out += "      - \(quoted(value))" + note(text) + "\n" }
    }

    /// A YAML double-quoted scalar: `"` and `\` escaped, every byte outside printable ASCII as `\xNN`,
    /// `\uNNNN` or `\UNNNNNNNN`, so the scalar is one line of ASCII that reads back as exactly `text`.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0..<0x100: out += "\\x" + Printable.hex(scalar.value, width: 2)
            case 0..<0x10000: out += "\\u" + Printable.hex(scalar.value, width: 4)
            default: out += "\\U" + Printable.hex(scalar.value, width: 8)
            }
        }
        return out + "\""
    }
}
