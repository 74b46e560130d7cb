/// A DC that was tried and not used, and why.
public struct DomainControllerAttempt: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var uri: String
    public var reason: String

    public init(host: String, uri: String, reason: String) {
        (self.host, self.uri, self.reason) = (host, uri, reason)
    }

    public var description: String { "\(host): \(reason)" }
}

/// No DC could be used: each one tried, and why.
public struct NoDomainControllerReached: Error, Equatable, CustomStringConvertible {
    public var tried: [DomainControllerAttempt]
    /// A writable DC was needed (apply).
    public var writable: Bool

    public init(tried: [DomainControllerAttempt], writable: Bool) {
        self.tried = tried
        self.writable = writable
    }

    public var description: String {
        let list = tried.isEmpty ? "none was found" : tried.map(\.description).joined(separator: "; ")
        return writable
            ? "no writable domain controller could be reached: \(list); nothing was written"
            : "no domain controller could be reached: \(list)"
    }
}

/// Failover: which DC a command uses, decided over closures that do the I/O, so that the order, what ends
/// the search and what is reported are tested without a network.
public enum DomainControllerChoice {
    public struct Chosen<Connection> {
        public var connection: Connection
        public var candidate: DomainControllerCandidate
        /// The DCs tried before it, in order, and why each was not used.
        public var tried: [DomainControllerAttempt]
    }

    /// Connects to (and binds with) each candidate in order; the first that binds and is suitable wins.
    ///
    /// - Parameters:
    ///   - connect: connect and bind, within --timeout.
    ///   - isFinal: an error that another DC would only repeat, or that must not be repeated (a wrong password:
    ///     each try counts toward the account's lockout): thrown at once, unchanged.
    ///   - describe: why a DC failed, as the list of DCs tried says it.
    ///   - unsuitable: why a bound DC must not be used (a read-only DC for a write), or nil.
    ///   - afterUnsuitable: candidates to try next, once, after the first unsuitable DC (the PDC emulator):
    ///     moved to the front of those left; those already tried are left out.
    ///   - writable: how the error reads when no DC is left.
    /// - Throws: the final error, or `NoDomainControllerReached` with every DC tried.
    public static func choose<Connection>(
        _ candidates: [DomainControllerCandidate],
        writable: Bool = false,
        connect: (DomainControllerCandidate) throws -> Connection,
        isFinal: (any Error) -> Bool,
        reason describe: (any Error) -> String = { String(describing: $0) },
        unsuitable: (Connection, DomainControllerCandidate) throws -> String? = { _, _ in nil },
        afterUnsuitable: () -> [DomainControllerCandidate] = { [] }
    ) throws -> Chosen<Connection> {
        var queue = candidates[...]
        var tried: [DomainControllerAttempt] = []
        var askedForMore = false
        while let candidate = queue.popFirst() {
            let reason: String
            do {
                let connection = try connect(candidate)
                guard let why = try unsuitable(connection, candidate) else {
                    return Chosen(connection: connection, candidate: candidate, tried: tried)
                }
                reason = why
                if !askedForMore {
                    askedForMore = true
                    let done = Set((tried.map(\.host) + [candidate.host]).map { $0.lowercased() })
                    let more = afterUnsuitable().filter { !done.contains($0.host.lowercased()) }
                    let moved = Set(more.map { $0.host.lowercased() })
                    queue = (more + queue.filter { !moved.contains($0.host.lowercased()) })[...]
                }
            } catch {
                if isFinal(error) { throw error }
                reason = describe(error).replacingOccurrences(of: "\n", with: " ")
            }
            tried.append(DomainControllerAttempt(host: candidate.host, uri: candidate.uri, reason: reason))
        }
        throw NoDomainControllerReached(tried: tried, writable: writable)
    }
}
