import Foundation
import KCDCore

/// Where output goes: results to stdout, problems to stderr.
enum Terminal {
    static func out(_ text: String) {
        // A reader that went away (`kcdctl plan | head`) ends kcdctl as SIGPIPE would, which kcdctl ignores
        // so that a dropped LDAP connection becomes an error instead.
        if !write(text, to: STDOUT_FILENO) { exit(ExitStatus.outputClosed.rawValue) }
    }

    static func err(_ text: String) {
        _ = write(text, to: STDERR_FILENO)
    }

    /// All of `text`, or false when the descriptor fails.
    private static func write(_ text: String, to fd: Int32) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
    }

    static func warn(_ message: String) {
        err("kcdctl: warning: \(message)\n")
    }

    /// One line naming the problem. Manifest errors keep their `FILE:LINE:COLUMN:` prefix, one line for each
    /// problem found.
    static func error(_ error: any Error) {
        if error is ManifestError {
            err(String(describing: error) + "\n")
        } else {
            err("kcdctl: error: \(String(describing: error).replacingOccurrences(of: "\n", with: " "))\n")
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
