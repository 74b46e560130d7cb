/// A computer's delegation settings as the Delegation tab would show them, for `kcdctl show`.
public enum ComputerText {
    public static func render(_ computer: ObservedComputer) -> String {
        let uac = computer.userAccountControl
        // Everything the directory sent is shown escaped: no control character reaches the terminal.
        var out = "\(Printable.escape(computer.name))  \(Printable.escape(computer.dn))\n"
        out += "  dNSHostName:        \(computer.dnsHostName.map(Printable.escape) ?? "(none)")\n"
        out += "  delegation:         \(delegation(computer))\n"
        out += "  userAccountControl: \(uac) (\(uac.flagNames.joined(separator: ", ")))\n"
        out += list("msDS-AllowedToDelegateTo", computer.allowedToDelegateTo)
        out += list("servicePrincipalName", computer.servicePrincipalNames)
        return out
    }

    /// The Delegation tab's choice that these attributes amount to.
    public static func delegation(_ computer: ObservedComputer) -> String {
        let uac = computer.userAccountControl
        if uac.contains(.trustedForDelegation) {
            return "UNCONSTRAINED: trusted for delegation to any service (a security risk)"
        }
        if uac.contains(.trustedToAuthForDelegation) {
            return computer.allowedToDelegateTo.isEmpty
                ? "protocol transition allowed, but no services listed"
                : "constrained to the services below, use any authentication protocol"
        }
        return computer.allowedToDelegateTo.isEmpty
            ? "not trusted for delegation" : "constrained to the services below, use Kerberos only"
    }

    static func list(_ attribute: String, _ values: [String]) -> String {
        var out = "  \(attribute) (\(values.count)):\n"
        for value in values.sorted(by: { $0.lowercased() < $1.lowercased() }) {
            out += "    \(Printable.escape(value))\n"
        }
        return out
    }
}
