/// A host's desired targets: its cluster's targets (sorted, unique) less the host's own SPNs. The cluster's
/// array is shared by all its hosts, so 10,000 hosts of 252 targets each hold no 2.5 million copies.
public struct TargetList: RandomAccessCollection, Equatable, Sendable, CustomStringConvertible {
    /// Sorted by key, unique.
    private let entries: [SPN]
    /// Positions in `entries` left out (the host's own SPNs), ascending; usually a handful.
    private let skipped: [Int]

    init(entries: [SPN], owners: [Int32], excluded: Int32) {
        self.entries = entries
        skipped = owners.indices.filter { owners[$0] == excluded }
    }

    /// A list of its own (a host in several clusters): sorted, unique.
    init(_ spns: [SPN]) {
        var seen = Set<SPN>()
        entries = spns.filter { seen.insert($0).inserted }.sorted()
        skipped = []
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count - skipped.count }

    public subscript(i: Int) -> SPN {
        var position = i
        for s in skipped where s <= position { position += 1 }
        return entries[position]
    }

    /// The target equal to `spn` as AD compares SPNs (case-insensitively), spelled as declared; nil when
    /// `spn` is not a target. A binary search: no set of the host's targets is built.
    public func declared(_ spn: SPN) -> SPN? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].key < spn.key { low = mid + 1 } else { high = mid }
        }
        guard low < entries.count, entries[low].key == spn.key, !skipped.contains(low) else { return nil }
        return entries[low]
    }

    /// Whether `values` are exactly these targets' values, in this order: one string comparison per value.
    func equalsExactly(_ values: [String]) -> Bool {
        guard values.count == count else { return false }
        var next = 0
        var skip = skipped.startIndex
        for (position, entry) in entries.enumerated() {
            if skip < skipped.endIndex && skipped[skip] == position {
                skip += 1
                continue
            }
            if values[next] != entry.value { return false }
            next += 1
        }
        return true
    }

    public static func == (a: TargetList, b: TargetList) -> Bool { a.elementsEqual(b) }
    public var description: String { Array(self).description }
}
