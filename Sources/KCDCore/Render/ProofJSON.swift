/// `kcdctl verify --format json`: the proof with each outcome by name, whether each target is as expected, and
/// the verdict, so that a pipeline need not re-derive them.
public enum ProofJSON {
    struct Document: Encodable {
        struct Target: Encodable {
            var spn: String
            var declared: Bool
            var outcome: String
            var reason: String?
            var asExpected: Bool
        }
        var host, principal, impersonated, selfTicket: String
        var selfTicketReason: String?
        var selfTicketForwardable: Bool
        var targets: [Target]
        var matchesManifest: Bool
        var verdict: String
        var resourceBased: Bool
    }

    public static func render(_ proof: DelegationProof) -> String {
        JSONOutput.text(
            Document(
                host: proof.host, principal: proof.principal, impersonated: proof.impersonated,
                selfTicket: proof.selfTicket.name, selfTicketReason: proof.selfTicket.reason,
                selfTicketForwardable: proof.selfTicketForwardable,
                targets: proof.targets.map {
                    .init(
                        spn: $0.spn, declared: $0.declared, outcome: $0.outcome.name, reason: $0.outcome.reason,
                        asExpected: $0.asExpected)
                },
                matchesManifest: proof.matchesManifest, verdict: proof.verdict.rawValue,
                resourceBased: proof.resourceBased))
    }
}
