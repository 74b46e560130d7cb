import Foundation

/// A TCP proxy on 127.0.0.1 in front of the test DC, so that a test can make "the DC" die (`stop`) or go
/// silent (`freeze`) for one kcdctl process without disturbing the tests that share the real DC, or hold what
/// kcdctl sends for as long as it likes (`hold`, `release`), so that kcdctl waits inside a request.
final class Proxy: @unchecked Sendable {
    let port: UInt16
    private let target: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var sockets: [Int32] = []
    private var stopped = false
    private var frozen = false
    /// Server sockets whose answers are dropped: requests still reach the DC.
    private var lossy: Set<Int32> = []
    private var refusing = false
    /// The hold: `trigger` arms it, `holding` once a chunk from kcdctl found the trigger true; `gate` guards both.
    private let gate = NSCondition()
    private var trigger: (@Sendable () -> Bool)?
    private var holding = false
    private var held = 0

    init(to targetPort: UInt16) throws {
        target = targetPort
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else { throw TestFailure("proxy: cannot listen") }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The DC "dies": every connection is cut and no new one is accepted.
    func stop() {
        release()
        lock.withLock {
            stopped = true
            for fd in sockets + [listener] { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// The DC "hangs": connections stay open, nothing more is passed on.
    func freeze() { lock.withLock { frozen = true } }

    /// The DC's answers on the connections open now are lost: what kcdctl sends still reaches the DC and is
    /// applied there. With `refuseNew`, no new connection gets through either.
    func loseReplies(refuseNew: Bool) {
        lock.withLock {
            lossy = Set(servers)
            refusing = refuseNew
        }
    }
    private var servers: [Int32] = []

    /// What kcdctl sends stops here, from the first chunk that arrives once `when` is true, until `release()`:
    /// its request never reaches the DC, so kcdctl waits for the answer (up to its --timeout). Answers already
    /// on their way still pass. `when` is asked as each chunk arrives, before it is passed on, so it can test
    /// for something kcdctl did before sending that chunk (say, a line it wrote to a file).
    func hold(when: @escaping @Sendable () -> Bool = { true }) {
        gate.withLock { trigger = when }
    }

    /// The bytes from kcdctl held back now: more than 0 once a request of kcdctl is certainly waiting here.
    var heldBytes: Int { gate.withLock { held } }

    /// What was held goes on to the DC, in order, and nothing more is held.
    func release() {
        gate.withLock {
            trigger = nil
            holding = false
            gate.broadcast()
        }
    }

    /// Waits while the proxy holds, for a chunk of `n` bytes just read from kcdctl.
    private func passUpstream(_ n: Int) {
        gate.withLock {
            if !holding, let trigger, trigger() { holding = true }
            guard holding else { return }
            held += n
            while holding { gate.wait() }
            held -= n
        }
    }

    deinit {
        stop()
        lock.withLock { for fd in sockets + [listener] { close(fd) } }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: target)
            let connected = withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            let keep = lock.withLock { () -> Bool in
                sockets += [client, server]
                servers.append(server)
                return !stopped && !refusing && connected
            }
            guard keep else {
                shutdown(client, Int32(SHUT_RDWR))
                continue
            }
            Thread.detachNewThread { [self] in pump(from: client, to: server, upstream: true) }
            Thread.detachNewThread { [self] in pump(from: server, to: client, upstream: false) }
        }
    }

    /// Passes on what arrives on `from`; `upstream`: from kcdctl to the DC.
    private func pump(from: Int32, to: Int32, upstream: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            if upstream { passUpstream(n) }
            if lock.withLock({ frozen || lossy.contains(from) }) { continue }
            var sent = 0
            while sent < n {
                // A peer gone is the end of this direction, not SIGPIPE ending the test process.
                let m = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                guard m > 0 else { return }
                sent += m
            }
        }
        shutdown(to, Int32(SHUT_WR))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }
}
