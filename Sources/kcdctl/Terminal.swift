import Foundation
import KCDCore

/// Where output goes: results to stdout, problems to stderr.
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func warn(_ message: String) {
        err("kcdctl: warning: \(message)\n")
    }

    /// One line naming the problem. Manifest errors keep their `FILE:LINE:COLUMN:` prefix.
    static func error(_ error: any Error) {
        let text = String(describing: error).replacingOccurrences(of: "\n", with: " ")
        if error is ManifestError {
            err(text + "\n")
        } else {
            err("kcdctl: error: \(text)\n")
        }
    }

    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var errorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Colors on a terminal only, and never when NO_COLOR is set (https://no-color.org).
    static var color: Bool {
        isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }

    /// A line from stdin, or nil at its end.
    static func readLine() -> String? { Swift.readLine(strippingNewline: true) }
}

/// A problem with how kcdctl was called or configured, told in one line.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
