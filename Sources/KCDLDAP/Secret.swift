import Foundation

/// A credential held as bytes that are zeroed when the last owner lets go. It has no description:
/// printing it prints nothing of the secret.
public final class Secret: CustomStringConvertible, @unchecked Sendable {
    private var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The first line of a file (a trailing newline is not part of a password).
    public convenience init(contentsOfFile path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SecretError(path: path, reason: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        var data = (try? handle.readToEnd()) ?? Data()
        var bytes = [UInt8](data)
        data.resetBytes(in: 0..<data.count)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        self.init(bytes: bytes)
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

public struct SecretError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "password file \(path) \(reason)" }
}
