import Foundation
import Testing

@testable import KCDCore

/// What `make fuzz` (Fuzz/, issue 9) found in the core. Each test holds the fuzzer's input inline and runs it in
/// a child process (an exit test), so that a crash that comes back fails its test instead of ending the suite.
@Suite struct FuzzRegressionsInTheCore {
    /// fuzz-manifest, crash-0941c16486db1669111fa33e3e9697f876c28403 (after 1.2 million runs): a number with
    /// colons is a YAML 1.1 base-60 integer to Yams, and `Node.int` multiplies its parts without an overflow check,
    /// so `version: 5555555555555555551:22222222222:2222222222222222221` trapped in Yams (Constructor.swift,
    /// `sexagesimal`), called from ManifestLoader's `versionNode.int`: a one-line manifest ended kcdctl with a
    /// crash instead of a located error. Must be refused with a `ManifestError`.
    @Test func aBase60VersionThatOverflowsIsAManifestErrorNotATrap() async {
        await #expect(processExitsWith: .success) {
            refusedWithAManifestError("version: 5555555555555555551:22222222222:2222222222222222221\n")
        }
    }

    /// The same overflow through every integer the loader reads with `Node.int` (reduced by hand from the crash
    /// above): `version` in a short form, `directory.auth.minSSF` (ManifestLoader.swift:158) and
    /// `limits.hostsPerCluster` (:91).
    @Test func otherIntegersWithBase60OverflowAreManifestErrorsNotTraps() async {
        await #expect(processExitsWith: .success) {
            refusedWithAManifestError("version: 999999999999999999:0\n")
        }
        await #expect(processExitsWith: .success) {
            let yaml = """
                version: 1
                directory:
                  uri: ldap://dc01.corp.example.com
                  baseDN: DC=corp,DC=example,DC=com
                  auth:
                    method: gssapi
                    minSSF: 1:0:0:0:0:0:0:0:0:0:0:0
                clusters:
                  - name: a
                    mode: any-protocol
                    hosts: [HV01, HV02]
                """
            refusedWithAManifestError(yaml)
        }
        await #expect(processExitsWith: .success) {
            let yaml = """
                version: 1
                directory:
                  uri: ldaps://dc01.corp.example.com
                  baseDN: DC=corp,DC=example,DC=com
                  auth:
                    bindDN: svc-kcd@corp.example.com
                limits: {hostsPerCluster: 1:0:0:0:0:0:0:0:0:0:0:0}
                clusters:
                  - name: a
                    mode: any-protocol
                    hosts: [HV01, HV02]
                """
            refusedWithAManifestError(yaml)
        }
    }
}

/// In an exit test's child process: exits 0 when `yaml` is refused with a located `ManifestError`, 1 on any
/// other outcome (a trap ends the child with a signal).
func refusedWithAManifestError(_ yaml: String) {
    do {
        _ = try ManifestLoader.parse(yaml, file: "fuzz.yaml")
    } catch is ManifestError {
        exit(0)
    } catch {}
    exit(1)
}
