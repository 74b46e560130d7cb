import ArgumentParser
import Foundation
import KCDCore
import KCDLDAP

extension Kcdctl {
    struct Keygen: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair for signing saved plans (plan --sign-key, apply --verify-key).",
            discussion: """
                Writes the private key to FILE (mode 0600; keep it where plans are made, e.g. a CI secret) and the \
                public key to FILE.pub (give it to whoever applies, or set plans.verifyKey). Both are PEM, as \
                `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write them. Existing files are \
                never overwritten.
                """)

        @Option(
            name: .customLong("out"),
            help: ArgumentHelp("Where the private key goes; the public key goes to FILE.pub.", valueName: "FILE"))
        var out: String

        func execute() throws -> ExitStatus {
            for path in [out, out + ".pub"] {
                var info = stat()
                guard lstat(path, &info) != 0 else { throw UsageError("\(path) exists: not overwriting a key") }
            }
            let key = PlanSigningKey()
            try AtomicFile.write(out, Array(key.pem.utf8), mode: 0o600)
            try AtomicFile.write(out + ".pub", Array(key.verifyingKey.pem.utf8), mode: 0o644)
            Terminal.out(
                "Wrote the private key to \(out) and the public key to \(out).pub (\(key.verifyingKey.fingerprint)).\n")
            return .success
        }
    }
}

/// Signing keys as files (verification keys: `PlanVerifyingKey(file:)`).
enum Keys {
    /// A private key readable by its owner only, as ssh demands of private keys.
    static func signingKey(_ path: String) throws -> PlanSigningKey {
        let file = try OpenRegularFile(path, what: "plan signing key", limit: 64 << 10)
        try PrivateFile.check(file)
        do {
            return try PlanSigningKey(pem: String(decoding: try file.read(), as: UTF8.self))
        } catch let error as PlanSignatureError {
            throw UsageError("\(path): \(error)")
        }
    }
}
