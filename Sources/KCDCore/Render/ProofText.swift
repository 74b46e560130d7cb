/// `kcdctl verify`'s answer for a person: the S4U2Self line, one line per target with what the KDC said and
/// what was expected, and the verdict.
public enum ProofText {
    public static func render(_ proof: DelegationProof) -> String {
        let host = proof.host
        let selfTicket = proof.selfTicket
        var out = "\(host) (\(proof.principal)) acting for \(proof.impersonated):\n"
        out += "  S4U2Self: \(selfTicket.name)\(selfTicket.reason.map { " (\($0))" } ?? "")"
        if selfTicket == .granted {
            out +=
                proof.selfTicketForwardable
                ? ", forwardable\n"
                : ", NOT forwardable (no protocol transition, or the user may not be delegated): "
                    + "every S4U2Proxy will be refused\n"
        } else {
            out += "\n"
        }
        let width = proof.targets.map(\.spn.count).max() ?? 0
        for t in proof.targets {
            let mark = t.asExpected ? "ok " : "BAD"
            let expectation = t.declared ? "declared" : "must be refused"
            let spn = t.spn.padding(toLength: width, withPad: " ", startingAt: 0)
            out += "  \(mark) \(spn)  \(t.outcome.name)  (\(expectation))\(t.outcome.reason.map { ": \($0)" } ?? "")\n"
        }
        switch proof.verdict {
        case .matches: out += "The KDC grants exactly what the manifest declares for \(host).\n"
        case .doesNotMatch:
            out += "The KDC does NOT grant what the manifest declares for \(host).\n"
            if proof.resourceBased {
                out +=
                    "(\(host) is in a resource-based cluster: the KDC judged the targets' "
                    + "msDS-AllowedToActOnBehalfOfOtherIdentity. A KDC that does not implement resource-based "
                    + "delegation refuses every such request, as Samba 4.17's does (\"KDC can't fulfill requested "
                    + "option\"); check the descriptors with kcdctl plan, and prove it against a Windows DC.)\n"
            }
        case .inconclusive:
            out +=
                "Inconclusive: the KDC grants every declared target of \(host), but could not judge the SPN "
                + "that must be refused; name one it knows with --must-refuse.\n"
        }
        let unknown = proof.targets.filter { if case .unknownSPN = $0.outcome { true } else { false } }.count
        if unknown > 0 {
            out +=
                "(\(unknown) SPN\(unknown == 1 ? "" : "s") unknown to the KDC: not registered, or a KDC that "
                + "cannot look up SPNs with spaces, such as Samba 4.17's; --service cifs limits the check.)\n"
        }
        return out
    }
}
