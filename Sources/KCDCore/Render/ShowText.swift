/// `kcdctl show`: the computers asked for as the directory holds them, and a saved plan as a reviewer reads it.
public enum ShowText {
    /// Each computer named in `names` (compared as AD compares names), in the order asked, and an error line
    /// for each name with no computer object under `baseDN`.
    public static func computers(
        _ names: [String], found: [ObservedComputer], baseDN: String, owners: [SecurityIdentifier: SIDOwner] = [:]
    ) -> (out: String, errors: [String]) {
        let index = found.indexedByName()
        var sections: [String] = []
        var errors: [String] = []
        for name in names {
            if let computer = index[ComputerName(name)] {
                sections.append(ComputerText.render(computer, owners: owners))
            } else {
                errors.append("kcdctl: error: \(name): no computer object named \(name)$ under \(baseDN)\n")
            }
        }
        return (sections.joined(separator: "\n"), errors)
    }

    /// The SIDs the computers' resource-based descriptors allow, to be resolved to names.
    public static func grantedSIDs(_ computers: [ObservedComputer]) -> [SecurityIdentifier] {
        var seen = Set<SecurityIdentifier>()
        return computers.flatMap { computer -> [SecurityIdentifier] in
            let descriptor = computer.allowedToActOnBehalf.flatMap { try? SecurityDescriptor(decoding: $0) }
            return (descriptor?.dacl?.entries ?? []).compactMap {
                if case let .allowed(_, _, sid) = $0, seen.insert(sid).inserted { sid } else { nil }
            }
        }
    }

    /// What a saved plan is (who made it when, its hash and signature, the directory and targets) and the
    /// manifest it embeds, each line shown escaped; the plan itself follows as `PlanText`.
    public static func savedPlanHeader(_ document: PlanDocument, path: String) -> String {
        let signature = document.signature.map { "signed by \($0.key) (apply --verify-key checks it)" } ?? "not signed"
        let directory = "\(document.directory.uri) (\(document.directory.baseDN))"
        let targets = document.targets.map { "; limited to \($0.joined(separator: ", "))" } ?? ""
        var out = """
            Plan \(path): made \(document.createdAt) by kcdctl \(document.kcdctlVersion), \
            sha256 \(document.sha256 ?? ""), \(signature).
            Directory \(directory)\(targets).
            Manifest \(document.manifest.path) (sha256 \(document.manifest.sha256)), as the plan holds it:

            """
        for line in document.manifest.content.split(separator: "\n", omittingEmptySubsequences: false) {
            out += "  | \(Printable.escape(String(line)))\n"
        }
        return out + "\n"
    }
}
