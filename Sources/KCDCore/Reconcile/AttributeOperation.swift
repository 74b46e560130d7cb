/// One value-level operation of a host's request: what the directory is asked to add or delete. The same list
/// is the LDAP modify that is sent and what the audit trail records.
public struct AttributeOperation: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case add, delete
    }
    public var kind: Kind
    public var attribute: String
    /// The values; base64 of their bytes when `binary`.
    public var values: [String]
    /// The values are bytes (a security descriptor), carried as base64 here and in the audit trail, and sent
    /// as the decoded bytes with their lengths.
    public var binary: Bool

    public init(_ kind: Kind, _ attribute: String, _ values: [String], binary: Bool = false) {
        self.kind = kind
        self.attribute = attribute
        self.values = values
        self.binary = binary
    }
}

extension HostChange {
    /// The request for this change: values deleted and added by name, and userAccountControl swapped as
    /// delete-old + add-new, so that every operation is also a precondition the directory checks.
    public var operations: [AttributeOperation] {
        var operations: [AttributeOperation] = []
        if !remove.isEmpty { operations.append(.init(.delete, "msDS-AllowedToDelegateTo", remove.map(\.value))) }
        if !add.isEmpty { operations.append(.init(.add, "msDS-AllowedToDelegateTo", add.map(\.value))) }
        if let uac = userAccountControl {
            operations.append(.init(.delete, "userAccountControl", [uac.from.ldapValue]))
            operations.append(.init(.add, "userAccountControl", [uac.to.ldapValue]))
        }
        return operations + (resourceBased?.operations ?? [])
    }
}
