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
        // The reconcile indexes every managed host by this key: a name without capitals is its own key, and
        // one with capitals is folded in one pass without an intermediate array.
        let utf8 = self.value.utf8
        guard utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else {
            self.key = self.value
            return
        }
        self.key = String(unsafeUninitializedCapacity: utf8.count) { buffer in
            var i = 0
            for byte in utf8 {
                buffer[i] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                i += 1
            }
            return i
        }
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
        index.reserveCapacity(underestimatedCount)
        for computer in self {
            let name = ComputerName(computer.name)
            if index[name] == nil { index[name] = computer }
        }
        return index
    }
}
