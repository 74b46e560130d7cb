import Foundation
import KCDCore
import KCDLDAP
import Logging

/// `kcdctl apply -f MANIFEST --auto-approve` run inside the test process, as the command runs it (the core's
/// `ApplyWorkflow`, rendered by `ApplyText`, audited by `AuditTrail`) over a real `ActiveDirectory`, so that a
/// test can act at an exact point: after `pauseAfter` hosts are applied, `fault` runs on apply's own thread
/// (and so before the next host) and may break the proxy or "send" a signal. The shipped binary has no test
/// hook; what it adds to this (options, the prompt, signal handlers) is covered by the tests that run it.
struct InProcessApply {
    let dc: TestDC
    let manifest: String
    let timeout: Double
    let audit: String?

    /// What a signal handler would have noted.
    final class Signals: @unchecked Sendable {
        var received: Int32?
    }

    /// The result as the binary would give it (exit status, stdout's host lines and conclusion, stderr), and how
    /// long apply went on after the fault.
    func run(pauseAfter: Int, fault: (Signals) -> Void) -> (RunResult, Duration) {
        // A connection the proxy cuts must be an LDAP error here too, not SIGPIPE ending the test process.
        signal(SIGPIPE, SIG_IGN)
        let clock = ContinuousClock()
        var faulted: ContinuousClock.Instant?
        var out = ""
        var err = ""
        let status: ExitStatus
        do {
            let workflow = try ApplyWorkflow(
                ApplyRequest(
                    planFile: nil, manifestFile: manifest, targets: nil, maxAge: 86400, verifyKey: nil,
                    autoApprove: true),
                now: Date())
            let settings = try ConnectionSettings.resolve(
                manifest: workflow.manifest, path: manifest, flags: .init(),
                environment: [:])
            let tls = LDAPConnection.TLS(
                caFile: settings.directory.tls.caFile,
                startTLS: settings.directory.usesStartTLS)
            let password = try Secret(contentsOfFile: dc.passwordFile)
            let connect = { [timeout, dc] () throws -> LDAPConnection in
                let connection = try LDAPConnection(
                    uri: settings.uri, tls: tls, timeout: timeout,
                    logger: Logger(label: "test"))
                try connection.bindSimple(dn: dc.bindDN, password: password)
                return connection
            }
            let directory = ActiveDirectory(connection: try connect(), baseDN: settings.baseDN, reopen: connect)
            let reconciliation = Reconciliation(
                manifest: workflow.manifest, domain: settings.domain,
                directory: directory)
            let proposal = try workflow.proposal(reconciliation, uri: settings.uri, baseDN: settings.baseDN)
            let document = PlanDocument(
                proposal.plan,
                .init(
                    kcdctlVersion: "test", createdAt: Date(), manifestPath: manifest,
                    manifestSHA256: workflow.manifest.sha256 ?? "", manifestContent: workflow.manifest.source ?? "",
                    uri: settings.uri, baseDN: settings.baseDN))
            let trail = try audit.map { path in
                AuditTrail(
                    log: try AuditLog(path: path),
                    context: .init(
                        document, uri: settings.uri, baseDN: settings.baseDN,
                        identity: try directory.connection.whoAmI() ?? dc.bindDN, boundAs: dc.bindDN))
            }
            let signals = Signals()
            let outcome = try workflow.apply(
                proposal, reconciliation, audit: trail, stopSignal: { signals.received },
                show: { event in
                    if let line = ApplyText.line(for: event) { out += line }
                    if case let .applied(_, done, _, _) = event, done == pauseAfter {
                        fault(signals)
                        faulted = clock.now
                    }
                })
            let conclusion = ApplyText.conclusion(outcome)
            out += conclusion.out
            err += conclusion.err
            status = outcome.status
        } catch {
            err += "kcdctl: error: \(String(describing: error).replacingOccurrences(of: "\n", with: " "))\n"
            status = .failure
        }
        return (RunResult(status: status.rawValue, stdout: out, stderr: err), clock.now - (faulted ?? clock.now))
    }
}
