/// How a managed host delegates to its targets: the two "specified services only" choices of the
/// Delegation tab (classic constrained delegation, written on the delegating host), or resource-based
/// constrained delegation (written on the target). Unconstrained delegation is not a mode kcdctl offers.
public enum DelegationMode: String, CaseIterable, Sendable {
    /// "Use any authentication protocol": protocol transition (S4U2Self), needed for WinRM-based
    /// live migration from Windows Server 2016 on.
    case anyProtocol = "any-protocol"
    /// "Use Kerberos only".
    case kerberosOnly = "kerberos-only"
    /// Resource-based constrained delegation: each host's `msDS-AllowedToActOnBehalfOfOtherIdentity` allows the
    /// other hosts of its cluster (by objectSid). Protocol transition is always allowed for it, so neither
    /// delegation bit is needed, and the host holds no classic delegation values of the managed services.
    case resourceBased = "resource-based"

    /// Whether delegation is written on the target (`msDS-AllowedToActOnBehalfOfOtherIdentity`).
    public var isResourceBased: Bool { self == .resourceBased }

    /// The userAccountControl a host in this mode must have, given what it has now:
    /// only the two delegation bits change.
    public func userAccountControl(from current: UserAccountControl) -> UserAccountControl {
        var uac = current
        uac.remove(.trustedForDelegation)
        switch self {
        case .anyProtocol: uac.insert(.trustedToAuthForDelegation)
        case .kerberosOnly, .resourceBased: uac.remove(.trustedToAuthForDelegation)
        }
        return uac
    }
}
