import KCDCore

/// Any bytes as a manifest: the loader may refuse them (ManifestError, with a location) but never crash, and
/// whatever it accepts must expand.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let manifest = try? ManifestLoader.parse(text, file: "fuzz.yaml") else { return 0 }
    let desired = DesiredState.expand(manifest, domain: "corp.example.com")
    for host in desired.hosts where !manifest.hosts.contains(host.name) {
        fatalError("expand made up host \(host.name)")
    }
    return 0
}
