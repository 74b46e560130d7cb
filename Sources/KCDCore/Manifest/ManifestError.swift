/// A problem in a manifest, located as `FILE:LINE:COLUMN: message` (the form editors jump to), and any further
/// problems found in the same read (`more`), one per line, as a compiler reports them.
public struct ManifestError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var location: SourceLocation?
    public var message: String
    public var more: [ManifestError] = []
    /// At most this many problems are reported from one read.
    public static let reportedAtMost = 20

    public init(file: String, location: SourceLocation?, message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String {
        ([line] + more.map(\.line)).joined(separator: "\n")
    }

    var line: String {
        if let location { return "\(file):\(location.line):\(location.column): \(message)" }
        return "\(file): \(message)"
    }

    /// All of `problems` as one error, in file order, at most `reportedAtMost` of them.
    static func combined(_ problems: [ManifestError]) -> ManifestError {
        var sorted = problems.enumerated().sorted { a, b in
            let (x, y) = (
                a.element.location ?? .init(line: 0, column: 0), b.element.location ?? .init(line: 0, column: 0)
            )
            return (x.line, x.column, a.offset) < (y.line, y.column, b.offset)
        }.map(\.element)
        if sorted.count > reportedAtMost {
            let rest = sorted.count - reportedAtMost
            sorted = Array(sorted.prefix(reportedAtMost))
            sorted.append(
                ManifestError(
                    file: sorted[0].file, location: nil,
                    message: "\(rest) more problem\(rest == 1 ? "" : "s") not shown"))
        }
        var first = sorted.removeFirst()
        first.more = sorted
        return first
    }
}
