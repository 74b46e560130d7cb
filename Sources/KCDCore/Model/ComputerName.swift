/// A computer's name: its `sAMAccountName` without the `$`, e.g. `HV01`.
///
/// Names compare as Active Directory compares them for the names kcdctl manages: case-insensitively in ASCII.
/// Only ASCII letters fold, so a name that Unicode case folding alone would make equal to a manifest host
/// (`HV0\u{212A}`, KELVIN SIGN, lowercases to `hv0k`) is never taken for that host. `value` keeps the
/// spelling it was made with, for output.
public struct ComputerName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String
    /// The comparison key: ASCII letters lowercased, every other byte kept.
    public let key: String

    public init(_ value: some StringProtocol) {
        self.value = String(value)
        var bytes = Array(value.utf8)
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
        self.key = String(decoding: bytes, as: UTF8.self)
    }

    public static func == (a: ComputerName, b: ComputerName) -> Bool { a.key == b.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
    public static func < (a: ComputerName, b: ComputerName) -> Bool { a.key < b.key }
    public var description: String { value }
}

extension Sequence where Element == ObservedComputer {
    /// The computers by name, as compared by `ComputerName`: the one index of observed computers. A name the
    /// directory returned twice keeps its first object.
    public func indexedByName() -> [ComputerName: ObservedComputer] {
        var index: [ComputerName: ObservedComputer] = [:]
        for computer in self where index[ComputerName(computer.name)] == nil { index[ComputerName(computer.name)] = computer }
        return index
    }
}
