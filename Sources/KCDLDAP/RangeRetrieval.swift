/// Range retrieval of multi-valued attributes: AD returns at most MaxValRange (1,500) values of an attribute
/// per search, named `attr;range=0-1499`, and the client asks for `attr;range=1500-*` and so on until a chunk
/// ends with `*`. Samba returns ranges only when asked, but answers them the same way.
public struct RangedAttribute: Equatable, Sendable {
    /// The attribute's own name, lowercased.
    public var name: String
    public var start: Int
    /// Nil for `*`: the last chunk.
    public var end: Int?

    /// `msds-allowedtodelegateto;range=0-1499` → name, 0, 1499; nil for a name without a range.
    public init?(_ description: String) {
        let lower = description.lowercased()
        guard let marker = lower.range(of: ";range=") else { return nil }
        let bounds = lower[marker.upperBound...].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Int(bounds[0]), start >= 0 else { return nil }
        if bounds[1] == "*" {
            end = nil
        } else {
            guard let end = Int(bounds[1]), end >= start else { return nil }
            self.end = end
        }
        name = String(lower[..<marker.lowerBound])
        self.start = start
    }

    /// Gathers every value of the ranged attributes in `attributes`, asking `fetch` for each following chunk
    /// (`name;range=N-*`); `fetch` returns the attributes of that answer. Plain attributes pass through.
    ///
    /// The server is not trusted to end the loop: every chunk but the last must hold at least one value (so a
    /// server that keeps answering empty chunks cannot keep kcdctl asking), and a chunk ending at `Int.max` has
    /// no next one (`end + 1` would overflow).
    public static func complete(
        _ attributes: [String: [String]], fetch: (String) throws -> [String: [String]]
    ) throws -> [String: [String]] {
        var result = attributes.filter { RangedAttribute($0.key) == nil }
        for (key, first) in attributes {
            guard var range = RangedAttribute(key) else { continue }
            var values = first
            var chunk = first
            while let end = range.end {
                guard !chunk.isEmpty else {
                    throw RangeRetrievalError(
                        attribute: range.name, after: end, problem: "the chunk ending there held no value")
                }
                guard end < Int.max else {
                    throw RangeRetrievalError(attribute: range.name, after: end, problem: "no chunk can follow it")
                }
                let answer = try fetch("\(range.name);range=\(end + 1)-*")
                guard let (nextKey, more) = answer.first(where: { RangedAttribute($0.key)?.name == range.name }),
                    let next = RangedAttribute(nextKey), next.start == end + 1
                else {
                    throw RangeRetrievalError(attribute: range.name, after: end)
                }
                values += more
                chunk = more
                range = next
            }
            result[range.name, default: []] += values
        }
        return result
    }
}

public struct RangeRetrievalError: Error, CustomStringConvertible {
    public var attribute: String
    public var after: Int
    /// What was wrong with the server's answer; nil when it did not return the next chunk.
    public var problem: String? = nil
    public var description: String {
        let problem = problem ?? "the server did not return the next chunk"
        return "range retrieval of \(attribute) broke off after value \(after): \(problem)"
    }
}
