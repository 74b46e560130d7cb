import Testing

@testable import KCDCore

/// Issue 12: every command finds its manifest the same way: -f, else KCDCTL_MANIFEST, else the packaged default.
@Suite struct ManifestLocationRules {
    @Test func theFlagWinsOverTheEnvironment() {
        let env = ["KCDCTL_MANIFEST": "/srv/kcd/estate.yaml"]
        #expect(ManifestLocation.resolve(flag: "m.yaml", environment: env) == "m.yaml")
        #expect(ManifestLocation.resolve(flag: nil, environment: env) == "/srv/kcd/estate.yaml")
    }

    @Test func withNeitherTheDefaultIsRead() {
        #expect(ManifestLocation.resolve(flag: nil, environment: [:]) == "/etc/kcdctl/kcdctl.yaml")
        #expect(ManifestLocation.resolve(flag: nil, environment: ["KCDCTL_MANIFEST": ""]) == "/etc/kcdctl/kcdctl.yaml")
    }

    /// A saved plan is checked against a manifest only when one is named: the default is never implied.
    @Test func onlyANamedManifestIsNamed() {
        #expect(ManifestLocation.named(flag: nil, environment: [:]) == nil)
        #expect(ManifestLocation.named(flag: nil, environment: ["KCDCTL_MANIFEST": "e.yaml"]) == "e.yaml")
    }
}
