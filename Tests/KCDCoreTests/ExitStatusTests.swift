import Foundation
import Testing

@testable import KCDCore

/// The exit-status table has one source, `ExitStatus`; the copy in docs/operations.md must say the same.
@Suite struct ExitStatusTable {
    @Test func theOperationsGuideShowsTheSameTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let guide = try String(contentsOf: root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        let rows = guide.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true }
            .map { $0.replacingOccurrences(of: "\\|", with: "|") }
        let expected = ExitStatus.allCases.map { "| \($0.rawValue) | \($0.meaning) |" }
        #expect(rows == expected)
    }

    @Test func aSignalMapsTo128PlusItsNumber() {
        #expect(ExitStatus(signal: 2) == .interrupted && ExitStatus(signal: 15) == .terminated)
        #expect(ExitStatus(signal: 13) == .outputClosed && ExitStatus(signal: 9) == nil)
    }
}
