import Foundation

/// SIGINT and SIGTERM while apply writes: noted, not obeyed at once, so that the host in flight finishes
/// (each LDAP call is bounded by --timeout), its audit record is written and the summary printed.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in lock.withLock { signal = signal ?? number } }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? { lock.withLock { signal } }

    /// Back to the default actions.
    func restore() {
        for source in sources { source.cancel() }
        Glibc.signal(SIGINT, SIG_DFL)
        Glibc.signal(SIGTERM, SIG_DFL)
    }
}
