import Foundation

/// What the KDC said when a host tried to act for a user: S4U2Self for the user, then S4U2Proxy to each
/// target. The KDC is the judge: attributes being right is not the goal, live migration working is.
public struct DelegationProof: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case granted
        /// The KDC refused the delegation (not allowed for this target, or a non-forwardable evidence ticket).
        case refused(String)
        /// The KDC has no principal for this SPN: neither a grant nor a delegation refusal.
        case unknownSPN(String)
        case failed(String)

        public var name: String {
            switch self {
            case .granted: "granted"
            case .refused: "refused"
            case .unknownSPN: "KDC does not know this SPN"
            case .failed: "error"
            }
        }

        public var reason: String? {
            switch self {
            case .granted: nil
            case let .refused(r), let .unknownSPN(r), let .failed(r): r
            }
        }
    }

    public struct Target: Sendable, Equatable {
        public var spn: String
        /// True for the manifest's targets, false for the one the host must not reach.
        public var declared: Bool
        public var outcome: Outcome

        public init(spn: String, declared: Bool, outcome: Outcome) {
            self.spn = spn
            self.declared = declared
            self.outcome = outcome
        }

        /// Declared targets must be granted; the undeclared one must be refused.
        public var asExpected: Bool {
            declared ? outcome == .granted : { if case .refused = outcome { true } else { false } }()
        }
    }

    public var host: String
    public var principal: String
    public var impersonated: String
    /// S4U2Self: whether the host got a ticket for the user, and whether it is forwardable (it is only
    /// with protocol transition, TRUSTED_TO_AUTH_FOR_DELEGATION, and a user that may be delegated).
    public var selfTicket: Outcome
    public var selfTicketForwardable: Bool
    public var targets: [Target]
    /// Resource-based delegation was asked about (a KDC may not implement it: the text says so).
    public var resourceBased = false

    public init(
        host: String, principal: String, impersonated: String, selfTicket: Outcome, selfTicketForwardable: Bool,
        targets: [Target]
    ) {
        self.host = host
        self.principal = principal
        self.impersonated = impersonated
        self.selfTicket = selfTicket
        self.selfTicketForwardable = selfTicketForwardable
        self.targets = targets
    }

    /// Reality matches the manifest: every declared target granted, the undeclared one refused.
    public var matchesManifest: Bool { selfTicket == .granted && targets.allSatisfy(\.asExpected) }

    public enum Verdict: String, Sendable {
        case matches
        case doesNotMatch = "does-not-match"
        /// Every declared target was granted, but the KDC could not judge the SPN that must be refused (it does
        /// not know it, or the request failed): nothing shows that undeclared targets are refused.
        case inconclusive
    }

    public var verdict: Verdict {
        if matchesManifest { return .matches }
        let declaredGranted = selfTicket == .granted && targets.filter(\.declared).allSatisfy(\.asExpected)
        let probesUnjudged = targets.filter { !$0.declared }.allSatisfy {
            switch $0.outcome {
            case .refused, .granted: false
            case .unknownSPN, .failed: true
            }
        }
        return declaredGranted && probesUnjudged ? .inconclusive : .doesNotMatch
    }

    /// `kcdctl verify`'s exit status: 0 matches, 2 does not match, 3 inconclusive.
    public var exitStatus: ExitStatus {
        switch verdict {
        case .matches: .success
        case .doesNotMatch: .differs
        case .inconclusive: .stale
        }
    }
}
