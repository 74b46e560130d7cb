@testable import KCDCore

/// A directory in memory with AD's semantics for what kcdctl writes, for the core's unit and property tests
/// (the real thing, Samba AD, is what the integration tests use): one request per host, all of it or none,
/// value-level deletes of absent values and adds of present ones (compared as AD compares them) refused,
/// userAccountControl swapped only from the value it holds.
final class MemoryDirectory: Directory {
    var objects: [String: ObservedComputer] = [:]
    var mappings = SPNMappings(values: ["host=alerter,cifs,http"])
    /// Requests the directory received and applied, in order.
    private(set) var writes: [HostChange] = []
    /// Hosts whose next request is applied but whose answer is lost.
    var loseAnswer: Set<String> = []
    /// Hosts whose next request is lost before it arrives (nothing applied, no answer).
    var loseRequest: Set<String> = []
    var reconnectFails = false
    /// Hosts whose next request the directory refuses with this error (e.g. insufficient access rights).
    var refuse: [String: any Error] = [:]
    /// How often `computers(named:)` was called: a run that must not read again can be checked.
    private(set) var computerReads = 0
    /// The users doctor looks up, by lowercased name.
    var users: [String: UserFacts] = [:]

    init(_ computers: [ObservedComputer]) {
        for c in computers { objects[c.name.lowercased()] = c }
    }

    func computers(named names: [String]) throws -> [ObservedComputer] {
        computerReads += 1
        return names.compactMap { objects[$0.lowercased()] }
    }

    func spnMappings() throws -> SPNMappings { mappings }

    func delegators(to spns: [String]) throws -> [String] {
        let wanted = Set(spns.map(SPN.init))
        return objects.values.filter { $0.allowedToDelegateTo.contains { wanted.contains(SPN($0)) } }.map(\.name)
            .sorted()
    }

    struct Lost: Error {}

    func apply(_ change: HostChange) throws {
        let key = change.host.lowercased()
        if loseRequest.remove(key) != nil { throw OutcomeUnknown(host: change.host, cause: Lost()) }
        if let error = refuse.removeValue(forKey: key) { throw error }
        guard var object = objects[key], object.dn == change.dn else {
            throw ChangedMeanwhile(host: change.host, detail: "no such object")
        }
        let present = Set(object.allowedToDelegateTo.map(SPN.init))
        guard change.remove.allSatisfy(present.contains), !change.add.contains(where: present.contains) else {
            throw ChangedMeanwhile(host: change.host, detail: "16/20")
        }
        if let uac = change.userAccountControl {
            guard uac.from == object.userAccountControl else {
                throw ChangedMeanwhile(host: change.host, detail: "uac")
            }
            object.userAccountControl = uac.to
        }
        // The descriptor: its old value deleted by its bytes (gone → refused), the new one added.
        if let rbcd = change.resourceBased {
            guard object.allowedToActOnBehalf == rbcd.from else {
                throw ChangedMeanwhile(host: change.host, detail: "descriptor")
            }
            object.allowedToActOnBehalf = rbcd.to
        }
        let removed = Set(change.remove)
        object.allowedToDelegateTo =
            object.allowedToDelegateTo.filter { !removed.contains(SPN($0)) } + change.add.map(\.value)
        objects[key] = object
        writes.append(change)
        if loseAnswer.remove(key) != nil { throw OutcomeUnknown(host: change.host, cause: Lost()) }
    }

    func reconnect() throws {
        if reconnectFails { throw Lost() }
    }

    /// Accounts by SID: the computers held, and `others` (e.g. users).
    var otherAccounts: [SecurityIdentifier: SIDOwner] = [:]

    func accounts(withSIDs sids: [SecurityIdentifier]) throws -> [SecurityIdentifier: SIDOwner] {
        var found: [SecurityIdentifier: SIDOwner] = [:]
        for sid in sids {
            if let computer = objects.values.first(where: { $0.objectSid == sid }) {
                found[sid] = SIDOwner(accountName: computer.name + "$", isComputer: true)
            } else if let other = otherAccounts[sid] {
                found[sid] = other
            }
        }
        return found
    }
}

extension MemoryDirectory: DoctorDirectory {
    func spnHolders(_ spns: [SPN]) throws -> [String: [String]] {
        let wanted = Set(spns)
        var holders: [String: [String]] = [:]
        for computer in objects.values.sorted(by: { $0.name < $1.name }) {
            for spn in computer.servicePrincipalNames.map(SPN.init) where wanted.contains(spn) {
                holders[spn.key, default: []].append(computer.name + "$")
            }
        }
        return holders
    }

    func users(named names: [String]) throws -> [UserFacts] {
        names.map { users[$0.lowercased()] ?? UserFacts(name: $0, dn: nil) }
    }
}
