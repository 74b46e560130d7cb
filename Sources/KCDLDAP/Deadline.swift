// The deadline on every blocking libldap call, and the connection callbacks that tell it the socket.
internal import CLDAP
import Foundation

/// The socket of the connection being waited on, and whether its deadline fired. libldap reports the
/// socket through its connection callbacks; the deadline runs on a global dispatch queue.
final class Deadline: @unchecked Sendable {
    private let lock = NSLock()
    private var socket: Int32 = -1
    private var call = 0
    private var waiting = false
    private var fired = false

    func opened(_ fd: Int32) { lock.withLock { socket = fd } }
    func closed() { lock.withLock { socket = -1 } }

    /// For `LDAP_OPT_CONNECT_CB`: callbacks that report the handle's socket to this deadline, which must outlive
    /// the handle.
    var connectionCallbacks: ldap_conncb {
        ldap_conncb(lc_add: socketOpened, lc_del: socketClosed, lc_arg: Unmanaged.passUnretained(self).toOpaque())
    }

    func run(seconds: Double, _ body: () -> Int32) -> (Int32, timedOut: Bool) {
        let id = lock.withLock {
            call += 1
            waiting = true
            fired = false
            return call
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.withLock {
                guard waiting, call == id, socket >= 0 else { return }
                fired = true
                shutdown(socket, Int32(SHUT_RDWR))
            }
        }
        let rc = body()
        return lock.withLock {
            waiting = false
            return (rc, fired)
        }
    }
}

private let socketOpened:
    @convention(c) (
        OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<LDAPURLDesc>?, UnsafeMutablePointer<sockaddr>?,
        UnsafeMutablePointer<ldap_conncb>?
    ) -> Int32 = { _, sockbuf, _, _, callbacks in
        var fd: Int32 = -1
        if let sockbuf, let arg = callbacks?.pointee.lc_arg {
            _ = ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &fd)
            Unmanaged<Deadline>.fromOpaque(arg).takeUnretainedValue().opened(fd)
        }
        return 0
    }

private let socketClosed:
    @convention(c) (
        OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<ldap_conncb>?
    ) -> Void = { _, _, callbacks in
        if let arg = callbacks?.pointee.lc_arg {
            Unmanaged<Deadline>.fromOpaque(arg).takeUnretainedValue().closed()
        }
    }
