// The names a server's certificate carries, for the explanation of a failed TLS verification.
internal import SwiftASN1
internal import X509

/// The names an X.509 certificate is issued to, read from its DER bytes: enough to tell an operator
/// which names a server's certificate carries when verification fails. Not a validator.
public struct CertificateNames: Equatable, Sendable {
    /// The subject's common name, if any.
    public var commonName: String?
    /// subjectAltName dNSName entries.
    public var dnsNames: [String]
    /// subjectAltName iPAddress entries, printed.
    public var ipAddresses: [String]

    /// Nil when the bytes are not one DER-encoded certificate.
    public init?(der: [UInt8]) {
        guard let (subject, extensions) = try? Self.subjectAndExtensions(der) else { return nil }
        commonName = subject.lazy.flatMap { $0 }
            .first { $0.type == .RDNAttributeType.commonName }
            .flatMap { String($0.value) }
        dnsNames = []
        ipAddresses = []
        let subjectAltName = extensions.first { $0.oid == .X509ExtensionID.subjectAlternativeName }
        let generalNames = subjectAltName.flatMap { try? SubjectAlternativeNames($0) } ?? SubjectAlternativeNames()
        for name in generalNames {
            switch name {
            case let .dnsName(dnsName): dnsNames.append(dnsName)
            case let .ipAddress(octets): Self.printed(octets.bytes).map { ipAddresses.append($0) }
            default: break
            }
        }
    }

    public init(commonName: String?, dnsNames: [String], ipAddresses: [String]) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
    }

    /// Whether a client connecting to `host` would accept these names (RFC 6125: SANs when present,
    /// else the CN; `*.` matches one leftmost label).
    public func matches(host: String) -> Bool {
        let host = host.lowercased()
        if ipAddresses.contains(host) { return true }
        let names = dnsNames.isEmpty ? (commonName.map { [$0] } ?? []) : dnsNames
        return names.contains { name in
            let name = name.lowercased()
            if name == host { return true }
            guard name.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
            return host[dot...] == name.dropFirst()
        }
    }

    /// `CN=dc1.corp.example.com, DNS:dc1.corp.example.com, IP:10.0.0.1`
    public var summary: String {
        var parts: [String] = []
        if let commonName { parts.append("CN=\(commonName)") }
        parts += dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        return parts.isEmpty ? "no names" : parts.joined(separator: ", ")
    }

    /// The subject and extensions of the certificate's TBSCertificate (RFC 5280, 4.1), decoded by swift-asn1 and
    /// swift-certificates' own `RelativeDistinguishedName` and `Certificate.Extension`. Not through
    /// `Certificate(derEncoded:)`: that also loads the public key and refuses what swift-crypto does not support
    /// (RSA under 2,048 bits, DSA), and such a certificate is just the kind that fails verification, whose names
    /// the operator needs to see.
    private static func subjectAndExtensions(
        _ der: [UInt8]
    ) throws -> ([RelativeDistinguishedName], [Certificate.Extension]) {
        try DER.sequence(try DER.parse(der), identifier: .sequence) { certificate in
            guard let tbsCertificate = certificate.next() else { throw missing("tbsCertificate") }
            while certificate.next() != nil {}  // signatureAlgorithm, signatureValue
            return try DER.sequence(tbsCertificate, identifier: .sequence) { fields in
                _ = try DER.decodeDefaultExplicitlyTagged(
                    &fields, tagNumber: 0, tagClass: .contextSpecific, defaultValue: Int(0))
                for field in ["serialNumber", "signature", "issuer", "validity"] {
                    guard fields.next() != nil else { throw missing(field) }
                }
                guard let subjectNode = fields.next() else { throw missing("subject") }
                let subject = try DER.sequence(
                    of: RelativeDistinguishedName.self, identifier: .sequence, rootNode: subjectNode)
                guard fields.next() != nil else { throw missing("subjectPublicKeyInfo") }
                var extensions: [Certificate.Extension] = []
                // Then optional issuerUniqueID [1], subjectUniqueID [2] and extensions [3].
                while let field = fields.next() {
                    guard field.identifier == extensionsTag else { continue }
                    extensions = try DER.sequence(field, identifier: extensionsTag) { explicit in
                        try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, nodes: &explicit)
                    }
                }
                return (subject, extensions)
            }
        }
    }

    private static let extensionsTag = ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific)

    private static func missing(_ field: String) -> ASN1Error {
        .invalidASN1Object(reason: "a certificate without its \(field)")
    }

    /// `10.1.2.3`, or an IPv6 address as eight hexadecimal groups (`0:0:0:0:0:0:0:1`); nil for other lengths.
    private static func printed(_ octets: ArraySlice<UInt8>) -> String? {
        let bytes = Array(octets)
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            return stride(from: 0, to: 16, by: 2)
                .map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        default:
            return nil
        }
    }
}
