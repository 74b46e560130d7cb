/// A host's desired targets: its cluster's targets (sorted, unique) less the host's own SPNs. The cluster's
/// array is shared by all its hosts, so 10,000 hosts of 252 targets each hold no 2.5 million copies.
public struct TargetList: RandomAccessCollection, Equatable, Sendable, CustomStringConvertible {
    /// Sorted by key, unique.
    private let entries: [SPN]
    /// For each entry, the index of its owner in the cluster (-1: no member owns it).
    private let owners: [Int32]
    /// The host's own index in the cluster, whose entries are left out (-1: none).
    private let excluded: Int32
    /// Positions in `entries` of the targets, when some are left out.
    private let positions: [Int]?

    init(entries: [SPN], owners: [Int32], excluded: Int32) {
        self.entries = entries
        self.owners = owners
        self.excluded = excluded
        positions = owners.contains(excluded) ? owners.indices.filter { owners[$0] != excluded } : nil
    }

    /// A list of its own (a host in several clusters): sorted, unique.
    init(_ spns: [SPN]) {
        var seen = Set<SPN>()
        entries = spns.filter { seen.insert($0).inserted }.sorted()
        owners = Array(repeating: -1, count: entries.count)
        excluded = -2
        positions = nil
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { positions?.count ?? entries.count }
    public subscript(i: Int) -> SPN { entries[positions?[i] ?? i] }

    /// Whether `values` are exactly these targets' values, in this order: one string comparison per value.
    func equalsExactly(_ values: [String]) -> Bool {
        guard values.count == count else { return false }
        if let positions {
            for (i, p) in positions.enumerated() where values[i] != entries[p].value { return false }
        } else {
            for i in entries.indices where values[i] != entries[i].value { return false }
        }
        return true
    }

    public static func == (a: TargetList, b: TargetList) -> Bool { a.elementsEqual(b) }
    public var description: String { Array(self).description }
}
