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

    /// Whether `dnsHostName` (a computer's `dNSHostName`, as the directory sent it) can be this computer's own DNS
    /// name: a DNS name (labels of letters, digits and hyphens, at most 253 bytes) whose first label is this name.
    /// Anything else, e.g. another computer's name written into the attribute, is never used to build the SPNs
    /// a host may delegate to: the FQDN form then falls back to `<name>.<domain>`.
    public func isOwnDNSName(_ dnsHostName: String) -> Bool {
        let bytes = Array(dnsHostName.utf8)
        guard bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, let first = labels.first, ComputerName(String(decoding: first, as: UTF8.self)) == self
        else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy {
                    $0 < 0x80
                        && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber
                            || $0 == UInt8(ascii: "-"))
                }
        }
    }
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
