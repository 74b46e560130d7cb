/// A computer's delegation settings as the Delegation tab would show them, for `kcdctl show`.
public enum ComputerText {
    /// - Parameter owners: who the SIDs of its resource-based descriptor are, when resolved.
    public static func render(_ computer: ObservedComputer, owners: [SecurityIdentifier: SIDOwner] = [:]) -> String {
        let uac = computer.userAccountControl
        // Everything the directory sent is shown escaped: no control character reaches the terminal.
        var out = "\(Printable.escape(computer.name))  \(Printable.escape(computer.dn))\n"
        out += "  dNSHostName:        \(computer.dnsHostName.map(Printable.escape) ?? "(none)")\n"
        out += "  delegation:         \(delegation(computer))\n"
        out += "  userAccountControl: \(uac) (\(uac.flagNames.joined(separator: ", ")))\n"
        out += list("msDS-AllowedToDelegateTo", computer.allowedToDelegateTo)
        out += list("servicePrincipalName", computer.servicePrincipalNames)
        out += resourceBased(computer, owners: owners)
        return out
    }

    /// `msDS-AllowedToActOnBehalfOfOtherIdentity`: who may delegate to this computer (resource-based), one line
    /// per ACE; grants of kcdctl's form are what kcdctl manages.
    static func resourceBased(_ computer: ObservedComputer, owners: [SecurityIdentifier: SIDOwner]) -> String {
        let title = "  \(ResourceBasedChange.attribute) (resource-based: who may delegate to it)"
        guard let bytes = computer.allowedToActOnBehalf else { return title + ": (none)\n" }
        let descriptor: SecurityDescriptor
        do {
            descriptor = try SecurityDescriptor(decoding: bytes)
        } catch {
            return title + ": NOT a valid security descriptor (\(error.description)); \(bytes.count) bytes\n"
        }
        let entries = descriptor.dacl?.entries ?? []
        var out = title + " (\(entries.count) ACE\(entries.count == 1 ? "" : "s")):\n"
        for ace in entries {
            switch ace {
            case let .allowed(flags, mask, sid):
                let who = ResourceBasedChange.Principal(sid: sid, accountName: owners[sid]?.accountName).display
                let form =
                    ace.kcdctlGrantee == nil
                    ? "  (mask 0x\(String(mask, radix: 16)), flags 0x\(String(flags, radix: 16)))" : ""
                out += "    allow \(who)\(form)\n"
            case let .other(type, flags, rest):
                out +=
                    "    ACE type 0x\(String(type, radix: 16)), flags 0x\(String(flags, radix: 16)), \(rest.count + 4) bytes (kept as is)\n"
            }
        }
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
