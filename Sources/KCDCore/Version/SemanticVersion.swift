/// A version as semantic versioning 2.0.0 writes it: `MAJOR.MINOR.PATCH`, then optionally `-PRERELEASE` and
/// `+BUILD` (dot-separated identifiers of letters, digits and `-`). Numbers have no leading zeros. Only what
/// kcdctl compares is kept: which minor version line a version belongs to.
public struct SemanticVersion: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    public var prerelease: String?
    public var build: String?

    /// nil for anything that is not a semantic version (`test`, `v0.2.0`, `1.2`, `01.2.3`, a bare commit hash).
    public init?(_ text: String) {
        guard text.utf8.count <= 256 else { return nil }
        var rest = Substring(text)
        var build: Substring?
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        var prerelease: Substring?
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var values: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.count <= 9, number.allSatisfy(\.isASCIIDigit),
                number == "0" || number.first != "0", let value = Int(number)
            else { return nil }
            values.append(value)
        }
        func identifiers(_ part: Substring?) -> Bool {
            guard let part else { return true }
            return part.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { identifier in
                !identifier.isEmpty && identifier.allSatisfy { $0.isASCIIDigit || $0.isASCIILetter || $0 == "-" }
            }
        }
        guard identifiers(prerelease), identifiers(build) else { return nil }
        (major, minor, patch) = (values[0], values[1], values[2])
        (self.prerelease, self.build) = (prerelease.map(String.init), build.map(String.init))
    }

    /// `0.2`: the minor version line (`0.2.0`, `0.2.7`, `0.2.0-dev` all belong to it).
    public var minorLine: String { "\(major).\(minor)" }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.map { "-" + $0 } ?? "") + (build.map { "+" + $0 } ?? "")
    }
}

extension Character {
    /// One ASCII scalar each (a letter with a combining mark is not ASCII).
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIILetter: Bool { isASCII && isLetter }
}
