import Foundation
import KCDCore

/// A credential held as bytes that are zeroed when the last owner lets go. It has no description:
/// printing it prints nothing of the secret.
public final class Secret: CustomStringConvertible, @unchecked Sendable {
    private var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The first line of a file readable by its owner only (a trailing newline is not part of a password).
    /// A regular file of at most 4 KiB, its mode checked on the descriptor it is read from, read into a buffer
    /// that is wiped here, so no other copy is left behind.
    public convenience init(contentsOfFile path: String) throws {
        let file = try OpenRegularFile(path, what: "password file", limit: 4096)
        try PrivateFile.check(file)
        var bytes = try file.read()
        let line = bytes.prefix { $0 != 0x0A && $0 != 0x0D }
        self.init(bytes: Array(line))
        for i in bytes.indices { bytes[i] = 0 }
    }

    /// Takes the value of an environment variable, wipes it in the environment and removes it.
    public static func takeEnvironment(_ name: String) -> Secret? {
        guard let value = getenv(name) else { return nil }
        let length = strlen(value)
        let secret = Secret(bytes: Array(UnsafeRawBufferPointer(start: value, count: length)))
        memset(value, 0, length)
        unsetenv(name)
        return secret
    }

    deinit {
        for i in bytes.indices { bytes[i] = 0 }
    }

    public var isEmpty: Bool { bytes.isEmpty }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    public var description: String { "<secret>" }
}
