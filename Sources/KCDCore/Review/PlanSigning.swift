import Crypto
import Foundation

/// Ed25519 keys for signing saved plans (swift-crypto). Files are PEM, as OpenSSL writes them
/// (`openssl genpkey -algorithm ed25519`, `openssl pkey -pubout`) and as `kcdctl keygen` does. An Ed25519
/// key's DER is a fixed 16- (private) or 12-byte (public) prefix followed by the 32 key bytes, so a file is
/// checked against exactly that form rather than parsed.
public struct PlanSigningKey {
    let key: Curve25519.Signing.PrivateKey

    public init() { key = Curve25519.Signing.PrivateKey() }

    /// A `-----BEGIN PRIVATE KEY-----` PEM (PKCS #8) holding an Ed25519 key.
    public init(pem: String) throws {
        key = try Curve25519.Signing.PrivateKey(
            rawRepresentation: PEM.key(
                pem, label: "PRIVATE KEY", prefix: PEM.privatePrefix,
                what:
                    "an Ed25519 private key (PKCS #8 PEM, as `kcdctl keygen` or `openssl genpkey -algorithm ed25519` writes)"
            ))
    }

    public var pem: String { PEM.encode(PEM.privatePrefix + Array(key.rawRepresentation), label: "PRIVATE KEY") }
    public var verifyingKey: PlanVerifyingKey { PlanVerifyingKey(key: key.publicKey) }

    func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}

public struct PlanVerifyingKey: Equatable {
    let key: Curve25519.Signing.PublicKey

    init(key: Curve25519.Signing.PublicKey) { self.key = key }

    /// A `-----BEGIN PUBLIC KEY-----` PEM (SubjectPublicKeyInfo) holding an Ed25519 key.
    public init(pem: String) throws {
        key = try Curve25519.Signing.PublicKey(
            rawRepresentation: PEM.key(
                pem, label: "PUBLIC KEY", prefix: PEM.publicPrefix,
                what: "an Ed25519 public key (PEM, as `kcdctl keygen` or `openssl pkey -pubout` writes)"))
    }

    public var pem: String { PEM.encode(PEM.publicPrefix + Array(key.rawRepresentation), label: "PUBLIC KEY") }

    /// `SHA256:…` of the raw key, as OpenSSH prints fingerprints: how a plan names the key that signed it.
    public var fingerprint: String {
        "SHA256:"
            + Data(Crypto.SHA256.hash(data: key.rawRepresentation)).base64EncodedString().replacingOccurrences(
                of: "=", with: "")
    }

    func isValid(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: message)
    }

    public static func == (a: Self, b: Self) -> Bool { a.key.rawRepresentation == b.key.rawRepresentation }
}

public struct PlanSignatureError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

enum PEM {
    /// DER of a PKCS #8 `PrivateKeyInfo` for Ed25519 (RFC 8410) up to the 32 key bytes.
    static let privatePrefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// DER of a `SubjectPublicKeyInfo` for Ed25519 up to the 32 key bytes.
    static let publicPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The 32 key bytes of the `label` PEM block in `text`, whose DER must be exactly `prefix` + 32 bytes.
    static func key(_ text: String, label: String, prefix: [UInt8], what: String) throws -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let from = text.range(of: begin), let to = text.range(of: end, range: from.upperBound..<text.endIndex),
            let der = Data(base64Encoded: String(text[from.upperBound..<to.lowerBound].filter { !$0.isWhitespace })),
            der.count == prefix.count + 32, Array(der.prefix(prefix.count)) == prefix
        else {
            throw PlanSignatureError("not \(what)")
        }
        return Array(der.suffix(32))
    }

    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }
}
