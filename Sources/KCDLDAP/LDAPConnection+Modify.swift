// Writing: one modify request per call, all of whose operations apply or none.
internal import CLDAP
import Foundation
import KCDCore

extension LDAPConnection {
    /// One modify request: all its operations apply, or none.
    public func modify(dn: String, _ modifications: [AttributeOperation]) throws {
        let c = CAllocations()
        let mods = try c.modifications(modifications)
        let cDN = try c.string(dn)
        for m in modifications {
            logger.debug(
                "LDAP modify",
                metadata: [
                    "dn": "\(dn)", "op": "\(m.kind)", "attribute": "\(m.attribute)", "values": "\(Self.logged(m))",
                ])
        }
        counters.modifyRequests += 1
        let rc = blocking { ldap_modify_ext_s(ld, cDN, mods, nil, nil) }
        try check(rc, "modify of \(Self.attributeNames(modifications))", dn: dn)
    }

    /// What the debug log shows of an operation's values: text values as they are; binary values (already
    /// decoded by `modifications`, so valid base64) only by count and sizes, e.g. `2 binary values (76, 104 bytes)`.
    static func logged(_ operation: AttributeOperation) -> String {
        guard operation.binary else { return "\(operation.values)" }
        let sizes = operation.values.map { String(Data(base64Encoded: $0)?.count ?? 0) }
        let count = operation.values.count
        return "\(count) binary value\(count == 1 ? "" : "s") (\(sizes.joined(separator: ", ")) bytes)"
    }

    /// `msDS-AllowedToDelegateTo and userAccountControl`: each attribute once, in request order.
    private static func attributeNames(_ modifications: [AttributeOperation]) -> String {
        var attributes: [String] = []
        for m in modifications where !attributes.contains(m.attribute) { attributes.append(m.attribute) }
        return attributes.joined(separator: " and ")
    }
}
