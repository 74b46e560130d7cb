import Foundation
import Testing

/// Against two replicating Samba AD DCs in a network namespace (Tests/dc/multi-dc-up.sh, `make test-multidc`):
/// discovery by DNS SRV, failover, writable-DC choice. Skipped, loudly, when that lab is not up.
@Suite struct MultiDCLab {
    static let folder = ProcessInfo.processInfo.environment["KCDCTL_MULTIDC_DIR"]

    @Test func theLabIsNamedWhenTheSuiteRuns() {
        if Self.folder == nil {
            FileHandle.standardError.write(
                Data("!! KCDCTL_MULTIDC_DIR unset: the multi-DC tests are SKIPPED (make test-multidc runs them)\n".utf8)
            )
        }
    }
}
