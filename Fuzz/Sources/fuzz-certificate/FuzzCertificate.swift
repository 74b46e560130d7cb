import KCDLDAP

/// Any bytes as the certificate a server presented (`CertificateNames`: swift-asn1 and swift-certificates behind the
/// explanation of a failed TLS verification): the server chooses them before anything is verified. It may find no
/// names, but must never crash or read past the input (AddressSanitizer watches the slices).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let der = Array(UnsafeBufferPointer(start: data, count: size))
    guard let names = CertificateNames(der: der) else { return 0 }
    _ = names.summary
    for host in ["dc1.lab.example.test", "DC1", "10.0.0.1", "", ".", "*.", "a.b.c"] + names.dnsNames {
        _ = names.matches(host: host)
    }
    return 0
}
