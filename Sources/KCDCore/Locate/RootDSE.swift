/// What a DC says about itself in its rootDSE (and its nTDSDSA object), read as hostile values.
public struct RootDSE: Sendable, Equatable {
    /// The domain partition: the base DN when none is configured.
    public var defaultNamingContext: String?
    /// The DN of the DC's nTDSDSA object ("NTDS Settings"), whose `msDS-isRODC` says whether it is read-only.
    public var dsServiceName: String?
    public var dnsHostName: String?

    public init(defaultNamingContext: String? = nil, dsServiceName: String? = nil, dnsHostName: String? = nil) {
        (self.defaultNamingContext, self.dsServiceName, self.dnsHostName) =
            (defaultNamingContext, dsServiceName, dnsHostName)
    }

    /// The longest DN taken from a DC as a base DN.
    public static let maximumDNLength = 1024

    /// Why `dn`, a `defaultNamingContext` as a DC sent it, is not taken as the base DN, or nil.
    public static func namingContextProblem(_ dn: String) -> String? {
        let shown = Printable.quoted(dn)
        guard !dn.isEmpty, dn.utf8.count <= maximumDNLength else {
            return "the domain controller's defaultNamingContext \(shown) is empty or too long: set directory.baseDN"
        }
        guard dn.contains("="), !Printable.hasControlCharacter(dn) else {
            return "the domain controller's defaultNamingContext \(shown) is not a DN: set directory.baseDN"
        }
        return nil
    }

    /// Whether the DC is read-only, from its nTDSDSA object: `msDS-isRODC` (AD 2008 and later, Samba) or the
    /// object class `nTDSDSARO` an RODC's "NTDS Settings" has. nil when neither says (no such attribute: a DC
    /// from before RODCs existed, which is writable).
    public static func isReadOnly(isRODC: [String], objectClasses: [String]) -> Bool? {
        if objectClasses.contains(where: { $0.lowercased() == "ntdsdsaro" }) { return true }
        guard let value = isRODC.first else { return nil }
        switch value.uppercased() {
        case "TRUE": return true
        case "FALSE": return false
        default: return nil
        }
    }
}
