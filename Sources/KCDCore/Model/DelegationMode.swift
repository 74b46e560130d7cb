/// How a managed host delegates to its targets: the two "specified services only" choices of the
/// Delegation tab. Unconstrained delegation is not a mode kcdctl offers.
public enum DelegationMode: String, CaseIterable, Sendable {
    /// "Use any authentication protocol": protocol transition (S4U2Self), needed for WinRM-based
    /// live migration from Windows Server 2016 on.
    case anyProtocol = "any-protocol"
    /// "Use Kerberos only".
    case kerberosOnly = "kerberos-only"

    /// The userAccountControl a host in this mode must have, given what it has now:
    /// only the two delegation bits change.
    public func userAccountControl(from current: UserAccountControl) -> UserAccountControl {
        var uac = current
        uac.remove(.trustedForDelegation)
        switch self {
        case .anyProtocol: uac.insert(.trustedToAuthForDelegation)
        case .kerberosOnly: uac.remove(.trustedToAuthForDelegation)
        }
        return uac
    }
}
