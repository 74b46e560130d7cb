import Foundation
import KCDCore

/// Files that hold secrets (bind passwords, keytabs) must be readable by their owner only, as ssh
/// demands of private keys.
public enum PrivateFile {
    /// Checks the mode of the file as it was opened (fstat), so what is read is what was checked.
    public static func check(_ file: OpenRegularFile) throws {
        let mode = file.mode & 0o777
        guard mode & 0o077 == 0 else {
            throw PrivateFileError(
                message: "\(file.what) \(file.path) is accessible to group or others (mode \(String(mode, radix: 8))): "
                    + "run `chmod 600 \(file.path)`")
        }
    }
}

public struct PrivateFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
