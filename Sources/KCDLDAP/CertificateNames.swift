/// The names an X.509 certificate is issued to, read from its DER bytes: enough to tell an operator
/// which names a server's certificate carries when verification fails. Not a validator.
public struct CertificateNames: Equatable, Sendable {
    /// The subject's common name, if any.
    public var commonName: String?
    /// subjectAltName dNSName entries.
    public var dnsNames: [String]
    /// subjectAltName iPAddress entries, printed.
    public var ipAddresses: [String]

    public init?(der: [UInt8]) {
        var top = DERReader(der[...])
        guard let certificate = top.next(), certificate.tag == 0x30 else { return nil }
        var cert = DERReader(certificate.content)
        guard let tbs = cert.next(), tbs.tag == 0x30 else { return nil }
        var fields = DERReader(tbs.content)
        var elements: [DERReader.Element] = []
        while let e = fields.next() { elements.append(e) }
        if elements.first?.tag == 0xA0 { elements.removeFirst() }  // version
        // serial, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional [1] [2] [3]
        guard elements.count >= 6 else { return nil }
        commonName = Self.commonName(elements[4].content)
        dnsNames = []
        ipAddresses = []
        if let extensions = elements.dropFirst(6).first(where: { $0.tag == 0xA3 }) {
            readSubjectAltName(extensions.content)
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

    private static let commonNameOID: [UInt8] = [0x55, 0x04, 0x03]
    private static let subjectAltNameOID: [UInt8] = [0x55, 0x1D, 0x11]

    private static func commonName(_ name: ArraySlice<UInt8>) -> String? {
        var rdns = DERReader(name)
        while let set = rdns.next() {
            var attributes = DERReader(set.content)
            while let attribute = attributes.next() {
                var pair = DERReader(attribute.content)
                if let oid = pair.next(), oid.tag == 0x06, Array(oid.content) == commonNameOID, let value = pair.next() {
                    return String(decoding: value.content, as: UTF8.self)
                }
            }
        }
        return nil
    }

    private mutating func readSubjectAltName(_ explicit: ArraySlice<UInt8>) {
        var outer = DERReader(explicit)
        guard let list = outer.next(), list.tag == 0x30 else { return }
        var extensions = DERReader(list.content)
        while let ext = extensions.next() {
            var parts = DERReader(ext.content)
            guard let oid = parts.next(), Array(oid.content) == Self.subjectAltNameOID else { continue }
            var value = parts.next()
            if value?.tag == 0x01 { value = parts.next() }  // critical
            guard let octets = value, octets.tag == 0x04 else { return }
            var wrapper = DERReader(octets.content)
            guard let names = wrapper.next(), names.tag == 0x30 else { return }
            var generalNames = DERReader(names.content)
            while let name = generalNames.next() {
                switch name.tag {
                case 0x82: dnsNames.append(String(decoding: name.content, as: UTF8.self))
                case 0x87 where name.content.count == 4: ipAddresses.append(name.content.map(String.init).joined(separator: "."))
                case 0x87 where name.content.count == 16:
                    let bytes = Array(name.content)
                    ipAddresses.append(stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":"))
                default: break
                }
            }
            return
        }
    }
}

/// Reads DER tag-length-value elements one after another, refusing anything that runs past the end.
struct DERReader {
    struct Element {
        var tag: UInt8
        var content: ArraySlice<UInt8>
    }

    private var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    mutating func next() -> Element? {
        guard rest.count >= 2 else { return nil }
        var i = rest.startIndex
        let tag = rest[i]
        i += 1
        var length = Int(rest[i])
        i += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, rest.endIndex - i >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(rest[i])
                i += 1
            }
        }
        guard length >= 0, rest.endIndex - i >= length else { return nil }
        let content = rest[i..<(i + length)]
        rest = rest[(i + length)...]
        return Element(tag: tag, content: content)
    }
}
