import Foundation

/// Files that hold secrets (bind passwords, keytabs) must be readable by their owner only, as ssh
/// demands of private keys.
public enum PrivateFile {
    public static func check(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PrivateFileError(message: "\(what) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw PrivateFileError(message: "\(what) \(path) is accessible to group or others (mode \(String(mode, radix: 8))): run `chmod 600 \(path)`")
        }
    }
}

public struct PrivateFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
