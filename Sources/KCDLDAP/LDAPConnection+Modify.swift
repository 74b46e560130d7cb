// Writing: one modify request per call, all of whose operations apply or none.
internal import CLDAP

extension LDAPConnection {
    /// One modify request: all its operations apply, or none.
    public func modify(dn: String, _ modifications: [LDAPModification]) throws {
        let c = CAllocations()
        let mods = try c.modifications(modifications)
        let cDN = try c.string(dn)
        for m in modifications {
            logger.debug(
                "LDAP modify",
                metadata: [
                    "dn": "\(dn)", "op": "\(m.operation)", "attribute": "\(m.attribute)", "values": "\(m.values)",
                ])
        }
        counters.modifyRequests += 1
        let rc = blocking { ldap_modify_ext_s(ld, cDN, mods, nil, nil) }
        try check(rc, "modify of \(Self.attributeNames(modifications))", dn: dn)
    }

    /// `msDS-AllowedToDelegateTo and userAccountControl`: each attribute once, in request order.
    private static func attributeNames(_ modifications: [LDAPModification]) -> String {
        var attributes: [String] = []
        for m in modifications where !attributes.contains(m.attribute) { attributes.append(m.attribute) }
        return attributes.joined(separator: " and ")
    }
}

/// One operation of a modify request: its values, exactly as given, added to, deleted from or replacing the
/// attribute's.
public struct LDAPModification: Sendable, Equatable {
    public enum Operation: Int32, Sendable {
        case add = 0
        case delete = 1
        case replace = 2
    }
    public var operation: Operation
    public var attribute: String
    public var values: [String]

    public init(_ operation: Operation, _ attribute: String, _ values: [String]) {
        self.operation = operation
        self.attribute = attribute
        self.values = values
    }
}
