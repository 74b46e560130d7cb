import Crypto

/// SHA-256 as lowercase hex, for manifest and plan checksums (swift-crypto, not our own).
public enum Digest {
    public static func sha256<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Crypto.SHA256.hash(data: Array(bytes)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    public static func sha256(_ text: String) -> String { sha256(Array(text.utf8)) }
}
