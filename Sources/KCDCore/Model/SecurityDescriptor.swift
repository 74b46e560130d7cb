/// Why bytes are not a security descriptor or a binary SID (or why a descriptor cannot be encoded): what was wrong
/// and, when decoding, the byte offset in the input where the offending structure starts.
public struct SecurityDescriptorError: Error, Hashable, Sendable, CustomStringConvertible {
    public let problem: String
    public let offset: Int?

    init(_ problem: String, offset: Int?) {
        self.problem = problem
        self.offset = offset
    }

    public var description: String { offset.map { "\(problem) at byte \($0)" } ?? problem }
}

/// A self-relative Windows security descriptor (MS-DTYP 2.4.6), the value of
/// `msDS-AllowedToActOnBehalfOfOtherIdentity`: resource-based constrained delegation lets the accounts its DACL
/// allows delegate to the computer that holds it.
///
/// kcdctl manages only the access-allowed ACEs of the exact form it writes (`ACE.kcdctlGrant`) and must leave
/// everything else as it found it, so decoding keeps every part it does not interpret:
/// - access-allowed ACEs become `.allowed`; every other ACE type (deny, object, callback, …) and an access-allowed
///   ACE with bytes after its SID stay `.other` with their bytes;
/// - the SACL stays raw bytes;
/// - the order of owner, group, SACL and DACL in the bytes is recorded (Samba writes the owner first, Windows often
///   the DACL first) and encoding follows it;
/// - bytes the parts above do not account for (padding after the last ACE or between parts, parts sharing bytes,
///   reserved bytes that are not zero) cannot be rebuilt from the value: then the input itself is kept and
///   `encoded()` returns it as long as nothing is changed. Changing any property drops it, and the descriptor is
///   encoded from its parts.
///
/// The bytes come from the directory or a file: every offset, length and count is checked before it is used, and
/// decoding is linear in the input.
public struct SecurityDescriptor: Hashable, Sendable {
    /// The control flags kcdctl reads or sets (MS-DTYP 2.4.6: SECURITY_DESCRIPTOR_CONTROL); others are kept.
    public struct Control: OptionSet, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// SE_DACL_PRESENT: the descriptor has a DACL (a NULL one when its offset is 0).
        public static let daclPresent = Control(rawValue: 0x0004)
        /// SE_SACL_PRESENT.
        public static let saclPresent = Control(rawValue: 0x0010)
        /// SE_SELF_RELATIVE: parts are found by offsets, as in every stored descriptor.
        public static let selfRelative = Control(rawValue: 0x8000)
    }

    /// A part of the descriptor after its header; the raw value is the position of its offset in the header.
    enum Part: Int, Hashable, Sendable, CaseIterable {
        case owner = 4
        case group = 8
        case sacl = 12
        case dacl = 16

        var name: String {
            switch self {
            case .owner: "owner"
            case .group: "group"
            case .sacl: "SACL"
            case .dacl: "DACL"
            }
        }
    }

    /// The header's second byte (Sbz1; the resource manager bits when SE_RM_CONTROL_VALID is set).
    public var resourceManagerControl: UInt8 { didSet { source = nil } }
    public var control: Control { didSet { source = nil } }
    public var owner: SecurityIdentifier? { didSet { source = nil } }
    public var group: SecurityIdentifier? { didSet { source = nil } }
    /// The whole SACL as stored, header included: kcdctl never interprets it.
    public var sacl: [UInt8]? { didSet { source = nil } }
    /// The DACL; nil when there is none, or when `control` has `daclPresent` and the DACL is NULL. Encoding writes
    /// `control` as it is: a reader sees a DACL only with `daclPresent` (`updatingKcdctlGrants` sets it).
    public var dacl: ACL? { didSet { source = nil } }
    /// The order of the parts in the bytes; a present part not listed follows in `Part`'s order, and an absent
    /// part listed is skipped (see `partOrder`).
    var layout: [Part] { didSet { source = nil } }
    /// The decoded input, when encoding the parts would not give it back byte for byte (see the type's notes).
    private(set) var source: [UInt8]?

    init(
        resourceManagerControl: UInt8 = 0, control: Control, owner: SecurityIdentifier?, group: SecurityIdentifier?,
        sacl: [UInt8]?, dacl: ACL?, layout: [Part] = Part.allCases
    ) {
        self.resourceManagerControl = resourceManagerControl
        self.control = control
        self.owner = owner
        self.group = group
        self.sacl = sacl
        self.dacl = dacl
        self.layout = layout
        self.source = nil
    }

    /// The present parts in the order they are encoded.
    var partOrder: [Part] {
        (layout + Part.allCases.filter { !layout.contains($0) }).filter { part in
            switch part {
            case .owner: owner != nil
            case .group: group != nil
            case .sacl: sacl != nil
            case .dacl: dacl != nil
            }
        }
    }

    /// Equal descriptors encode to the same bytes: the parts, their order, and the kept input if any. A part
    /// order that only differs in absent parts is the same order.
    public static func == (a: SecurityDescriptor, b: SecurityDescriptor) -> Bool {
        a.resourceManagerControl == b.resourceManagerControl && a.control == b.control && a.owner == b.owner
            && a.group == b.group && a.sacl == b.sacl && a.dacl == b.dacl && a.partOrder == b.partOrder
            && a.source == b.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(control)
        hasher.combine(owner)
        hasher.combine(dacl)
        hasher.combine(partOrder)
        hasher.combine(source)
    }
}

// MARK: - ACLs and ACEs

extension SecurityDescriptor {
    /// An access control list (MS-DTYP 2.4.5): its revision and its ACEs in order.
    public struct ACL: Hashable, Sendable {
        /// ACL_REVISION (2) or ACL_REVISION_DS (4, which Samba writes); decoding accepts only these.
        public var revision: UInt8
        public var entries: [ACE]

        public init(revision: UInt8, entries: [ACE]) {
            self.revision = revision
            self.entries = entries
        }
    }

    /// An ACE (MS-DTYP 2.4.4): an access-allowed ACE decoded, any other kept as its bytes.
    public enum ACE: Hashable, Sendable {
        /// ACCESS_ALLOWED_ACE (type 0x00) whose size is exactly its header, mask and SID.
        case allowed(flags: UInt8, mask: UInt32, sid: SecurityIdentifier)
        /// Any other ACE: its type, its flags and every byte after its 4-byte header, exactly as stored.
        case other(type: UInt8, flags: UInt8, bytes: [UInt8])

        /// ACCESS_ALLOWED_ACE_TYPE.
        public static let accessAllowedType: UInt8 = 0x00
        /// INHERITED_ACE: the ACE came from a parent object.
        public static let inheritedFlag: UInt8 = 0x10

        /// The ACE kcdctl writes to let `sid` delegate: allowed, no flags, mask 0x000F01FF.
        public static func kcdctlGrant(_ sid: SecurityIdentifier) -> ACE {
            .allowed(flags: 0, mask: SecurityDescriptor.kcdctlAccessMask, sid: sid)
        }

        /// The SID this ACE grants when it is exactly of the form kcdctl writes, else nil.
        public var kcdctlGrantee: SecurityIdentifier? {
            guard case .allowed(flags: 0, mask: SecurityDescriptor.kcdctlAccessMask, let sid) = self else { return nil }
            return sid
        }

        public var type: UInt8 {
            switch self {
            case .allowed: Self.accessAllowedType
            case .other(let type, _, _): type
            }
        }

        public var flags: UInt8 {
            switch self {
            case .allowed(let flags, _, _): flags
            case .other(_, let flags, _): flags
            }
        }
    }
}

// MARK: - What kcdctl writes

extension SecurityDescriptor {
    /// The access mask of a kcdctl grant: what samba-tool (measured) and impacket write. GENERIC_ALL (0x10000000)
    /// would read the same to a person, but the KDC then answers KDC_ERR_BADOPTION.
    public static let kcdctlAccessMask: UInt32 = 0x000F_01FF

    /// The descriptor kcdctl writes: revision 1, control SE_SELF_RELATIVE | SE_DACL_PRESENT, owner
    /// BUILTIN\Administrators, no group, no SACL, and a DACL of revision 4 (ACL_REVISION_DS, as samba-tool and
    /// impacket write it) with one `ACE.kcdctlGrant` per SID, in the order given (a repeated SID once). Parts in
    /// Samba's order: owner, then DACL: for the same grants, the bytes samba-tool writes.
    public static func kcdctl(allowing sids: [SecurityIdentifier]) -> SecurityDescriptor {
        var seen = Set<SecurityIdentifier>()
        let entries = sids.filter { seen.insert($0).inserted }.map(ACE.kcdctlGrant)
        return SecurityDescriptor(
            control: [.selfRelative, .daclPresent], owner: .builtinAdministrators, group: nil, sacl: nil,
            dacl: ACL(revision: daclRevision, entries: entries))
    }

    /// The DACL revision kcdctl writes: ACL_REVISION_DS.
    static let daclRevision: UInt8 = 4

    /// The SIDs that ACEs of exactly kcdctl's form grant, in DACL order, each once. A SID allowed only by another
    /// ACE (other mask or flags, an object ACE) is not listed: kcdctl neither counts nor removes such grants.
    public var kcdctlGrants: [SecurityIdentifier] {
        var seen = Set<SecurityIdentifier>()
        return (dacl?.entries ?? []).compactMap(\.kcdctlGrantee).filter { seen.insert($0).inserted }
    }

    /// This descriptor with kcdctl grants for `adding` and without those for `removing`; every other ACE stays,
    /// byte for byte and in order, and so do the owner, group, SACL, control bits and the DACL's revision.
    ///
    /// - A SID already granted in kcdctl's form is not added again; a SID in both lists is removed (less access).
    /// - Removing takes out every ACE of kcdctl's form for the SID, and only those.
    /// - New ACEs go after the explicit ACEs, before the first inherited one: Windows' canonical order, and after
    ///   any deny ACE, which keeps taking precedence.
    /// - Without a DACL (none, or NULL) adding creates a revision 4 DACL and sets SE_DACL_PRESENT.
    /// - When nothing changes, the result is this descriptor unchanged (its bytes encode as before).
    public func updatingKcdctlGrants(
        adding: [SecurityIdentifier], removing: Set<SecurityIdentifier>
    ) -> SecurityDescriptor {
        let old = dacl?.entries ?? []
        var entries = old.filter { entry in entry.kcdctlGrantee.map { !removing.contains($0) } ?? true }
        var granted = Set(entries.compactMap(\.kcdctlGrantee))
        let new = adding.filter { !removing.contains($0) && granted.insert($0).inserted }.map(ACE.kcdctlGrant)
        guard !new.isEmpty || entries.count != old.count else { return self }
        let position = entries.firstIndex { $0.flags & ACE.inheritedFlag != 0 } ?? entries.endIndex
        entries.insert(contentsOf: new, at: position)
        var updated = self
        updated.control.insert(.daclPresent)
        updated.dacl = ACL(revision: dacl?.revision ?? Self.daclRevision, entries: entries)
        return updated
    }
}

// MARK: - Decoding

extension SecurityDescriptor {
    /// The header: revision, Sbz1, control, and the offsets of owner, group, SACL and DACL.
    static let headerSize = 20

    /// Decodes a self-relative descriptor, e.g. a value of `msDS-AllowedToActOnBehalfOfOtherIdentity`.
    public init(decoding bytes: [UInt8]) throws(SecurityDescriptorError) {
        guard bytes.count >= Self.headerSize else {
            throw SecurityDescriptorError(
                "security descriptor truncated: the header needs \(Self.headerSize) bytes, \(bytes.count) present",
                offset: 0)
        }
        guard bytes[0] == 1 else {
            throw SecurityDescriptorError("security descriptor revision \(bytes[0]), expected 1", offset: 0)
        }
        let control = Control(rawValue: bytes.littleEndianUInt16(at: 2))
        guard control.contains(.selfRelative) else {
            throw SecurityDescriptorError(
                "security descriptor is not self-relative (SE_SELF_RELATIVE not set)", offset: 2)
        }
        var found: [(part: Part, offset: Int)] = []
        for part in Part.allCases {
            if let offset = try Self.offset(of: part, in: bytes, control: control) {
                found.append((part, offset))
            }
        }
        func at(_ part: Part) -> Int? { found.first { $0.part == part }?.offset }
        let owner = try at(.owner).map { offset throws(SecurityDescriptorError) in
            try SecurityIdentifier.read(bytes, at: offset, end: bytes.count)
        }
        let group = try at(.group).map { offset throws(SecurityDescriptorError) in
            try SecurityIdentifier.read(bytes, at: offset, end: bytes.count)
        }
        let sacl = try at(.sacl).map { offset throws(SecurityDescriptorError) in try Self.rawACL(bytes, at: offset) }
        let dacl = try at(.dacl).map { offset throws(SecurityDescriptorError) in try ACL.read(bytes, at: offset) }
        self.init(
            resourceManagerControl: bytes[1], control: control, owner: owner, group: group, sacl: sacl, dacl: dacl,
            layout: found.sorted { ($0.offset, $0.part.rawValue) < ($1.offset, $1.part.rawValue) }.map(\.part))
        if (try? encoded()) != bytes {
            source = bytes
        }
    }

    /// Where `part` starts, or nil when it is absent: offset 0, or a SACL or DACL whose present bit is not set
    /// (Windows ignores its offset then).
    private static func offset(of part: Part, in bytes: [UInt8], control: Control) throws(SecurityDescriptorError)
        -> Int?
    {
        if part == .sacl && !control.contains(.saclPresent) { return nil }
        if part == .dacl && !control.contains(.daclPresent) { return nil }
        // Int(exactly:) so that a 32-bit platform refuses a large offset below instead of trapping.
        let offset = Int(exactly: bytes.littleEndianUInt32(at: part.rawValue)) ?? Int.max
        guard offset != 0 else { return nil }
        guard offset >= headerSize else {
            throw SecurityDescriptorError("\(part.name) offset \(offset) points into the header", offset: part.rawValue)
        }
        guard offset < bytes.count else {
            throw SecurityDescriptorError(
                "\(part.name) offset \(offset) points past the end (\(bytes.count) bytes)", offset: part.rawValue)
        }
        return offset
    }

    /// The SACL's bytes as its header sizes them; only the size is checked.
    private static func rawACL(_ bytes: [UInt8], at offset: Int) throws(SecurityDescriptorError) -> [UInt8] {
        let size = try ACL.size(bytes, at: offset, name: "SACL")
        return Array(bytes[offset..<(offset + size)])
    }
}

extension SecurityDescriptor.ACL {
    /// The ACL header: revision, Sbz1, size, ACE count, Sbz2.
    static let headerSize = 8

    /// The size an ACL's header claims, checked against the bytes there are.
    static func size(_ bytes: [UInt8], at offset: Int, name: String) throws(SecurityDescriptorError) -> Int {
        guard offset <= bytes.count - headerSize else {
            throw SecurityDescriptorError(
                "\(name) truncated: its header needs \(headerSize) bytes, \(bytes.count - offset) left", offset: offset)
        }
        let size = Int(bytes.littleEndianUInt16(at: offset + 2))
        guard size >= headerSize else {
            throw SecurityDescriptorError("\(name) size \(size) is smaller than its header", offset: offset)
        }
        guard size <= bytes.count - offset else {
            throw SecurityDescriptorError(
                "\(name) truncated: it claims \(size) bytes, \(bytes.count - offset) left", offset: offset)
        }
        return size
    }

    /// Reads the ACL at `offset`; its ACEs must lie inside the size its header claims.
    static func read(_ bytes: [UInt8], at offset: Int) throws(SecurityDescriptorError) -> Self {
        let size = try size(bytes, at: offset, name: "DACL")
        let revision = bytes[offset]
        guard revision == 2 || revision == 4 else {
            throw SecurityDescriptorError("DACL revision \(revision), expected 2 or 4", offset: offset)
        }
        let count = Int(bytes.littleEndianUInt16(at: offset + 4))
        // Every ACE takes at least its 4-byte header: a count the size cannot hold is refused before the loop.
        guard count <= (size - headerSize) / 4 else {
            throw SecurityDescriptorError("DACL claims \(count) ACEs in \(size) bytes", offset: offset)
        }
        let end = offset + size
        var position = offset + headerSize
        var entries: [SecurityDescriptor.ACE] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let (entry, entrySize) = try SecurityDescriptor.ACE.read(bytes, at: position, end: end, number: index + 1)
            entries.append(entry)
            position += entrySize
        }
        return Self(revision: revision, entries: entries)
    }
}

extension SecurityDescriptor.ACE {
    /// Reads the ACE at `offset`, which must end by `end` (the end of its ACL); returns it and its size.
    static func read(_ bytes: [UInt8], at offset: Int, end: Int, number: Int) throws(SecurityDescriptorError)
        -> (Self, Int)
    {
        guard offset <= end - 4 else {
            throw SecurityDescriptorError(
                "ACE \(number) truncated: its header needs 4 bytes, \(end - offset) left in the DACL", offset: offset)
        }
        let type = bytes[offset]
        let flags = bytes[offset + 1]
        let size = Int(bytes.littleEndianUInt16(at: offset + 2))
        guard size >= 4 else {
            throw SecurityDescriptorError("ACE \(number) size \(size) is smaller than its header", offset: offset)
        }
        guard size <= end - offset else {
            throw SecurityDescriptorError(
                "ACE \(number) truncated: it claims \(size) bytes, \(end - offset) left in the DACL", offset: offset)
        }
        let kept = (Self.other(type: type, flags: flags, bytes: Array(bytes[(offset + 4)..<(offset + size)])), size)
        guard type == accessAllowedType else { return kept }
        guard size >= 16 else {
            throw SecurityDescriptorError(
                "access-allowed ACE \(number) of \(size) bytes has no room for a mask and a SID", offset: offset)
        }
        let sid = try SecurityIdentifier.read(bytes, at: offset + 8, end: offset + size)
        guard 8 + sid.byteCount == size else { return kept }
        return (.allowed(flags: flags, mask: bytes.littleEndianUInt32(at: offset + 4), sid: sid), size)
    }
}

// MARK: - Encoding

extension SecurityDescriptor {
    /// The largest ACL or ACE: their sizes are 16-bit.
    static let maximumSize = Int(UInt16.max)

    /// The self-relative bytes: the decoded input when it is kept (see the type's notes), else the header and the
    /// present parts in `partOrder`. Fails only for a DACL, SACL or ACE larger than 65,535 bytes.
    public func encoded() throws(SecurityDescriptorError) -> [UInt8] {
        if let source { return source }
        var out: [UInt8] = [1, resourceManagerControl]
        out.appendLittleEndian(control.rawValue)
        out.append(contentsOf: [UInt8](repeating: 0, count: Self.headerSize - out.count))
        for part in partOrder {
            out.replaceLittleEndian(UInt32(out.count), at: part.rawValue)
            switch part {
            case .owner: out += owner?.bytes ?? []
            case .group: out += group?.bytes ?? []
            case .sacl: out += try Self.checkedSize(sacl ?? [], name: "SACL", minimum: ACL.headerSize)
            case .dacl: out += try dacl?.encoded() ?? []
            }
        }
        return out
    }

    static func checkedSize(_ bytes: [UInt8], name: String, minimum: Int = 0) throws(SecurityDescriptorError)
        -> [UInt8]
    {
        guard bytes.count >= minimum else {
            throw SecurityDescriptorError(
                "\(name) of \(bytes.count) bytes is shorter than \(minimum) bytes", offset: nil)
        }
        guard bytes.count <= maximumSize else {
            throw SecurityDescriptorError(
                "\(name) of \(bytes.count) bytes is larger than \(maximumSize) bytes", offset: nil)
        }
        return bytes
    }
}

extension SecurityDescriptor.ACL {
    func encoded() throws(SecurityDescriptorError) -> [UInt8] {
        var out: [UInt8] = [revision, 0, 0, 0, 0, 0, 0, 0]
        for entry in entries {
            out += try entry.encoded()
        }
        _ = try SecurityDescriptor.checkedSize(out, name: "DACL")
        out.replaceLittleEndian(UInt16(out.count), at: 2)
        out.replaceLittleEndian(UInt16(entries.count), at: 4)
        return out
    }
}

extension SecurityDescriptor.ACE {
    func encoded() throws(SecurityDescriptorError) -> [UInt8] {
        var out: [UInt8] = [type, flags, 0, 0]
        switch self {
        case .allowed(_, let mask, let sid):
            out.appendLittleEndian(mask)
            out += sid.bytes
        case .other(_, _, let bytes):
            out += bytes
        }
        _ = try SecurityDescriptor.checkedSize(out, name: "ACE")
        out.replaceLittleEndian(UInt16(out.count), at: 2)
        return out
    }
}

extension [UInt8] {
    fileprivate mutating func replaceLittleEndian(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    fileprivate mutating func replaceLittleEndian(_ value: UInt32, at offset: Int) {
        for index in 0..<4 {
            self[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index))
        }
    }
}
