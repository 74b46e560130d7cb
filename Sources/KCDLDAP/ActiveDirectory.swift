import Foundation
import KCDCore
import Logging

/// Active Directory (or a Samba AD DC) as KCDCore's `Directory`: computers read by name in batches of
/// OR-filtered paged searches; each host's change written as one modify request.
public final class ActiveDirectory: Directory {
    public static let attributes = [
        "sAMAccountName", "dNSHostName", "userAccountControl", "msDS-AllowedToDelegateTo",
        "servicePrincipalName", "uSNChanged", "whenChanged", "objectSid", "msDS-AllowedToActOnBehalfOfOtherIdentity",
    ]
    /// The attributes of `attributes` whose values are bytes: they are read base64-encoded.
    public static let binaryAttributes: Set<String> = ["objectSid", "msDS-AllowedToActOnBehalfOfOtherIdentity"]

    public private(set) var connection: LDAPConnection
    public let baseDN: String
    /// Opens and binds a new connection like the first one, after that one was lost.
    private let reopen: (() throws -> LDAPConnection)?
    /// Names per search filter.
    public let batchSize: Int
    /// Entries per page of the paged results control (AD's MaxPageSize is 1000).
    public let pageSize: Int
    /// Searches for computer objects sent (each page counts), range retrieval included.
    public private(set) var computerSearches = 0
    /// Ask for msDS-AllowedToDelegateTo in chunks of this many values, as AD hands them out past its
    /// MaxValRange; nil asks for all of them (and follows whatever ranges the server returns).
    public let valueRange: Int?

    public init(
        connection: LDAPConnection, baseDN: String, batchSize: Int = 256, pageSize: Int = 1000,
        valueRange: Int? = nil, reopen: (() throws -> LDAPConnection)? = nil
    ) {
        self.connection = connection
        self.reopen = reopen
        self.baseDN = baseDN
        self.batchSize = batchSize
        self.pageSize = pageSize
        self.valueRange = valueRange
    }

    var computerAttributes: [String] {
        guard let valueRange else { return Self.attributes }
        return Self.attributes.map { $0 == "msDS-AllowedToDelegateTo" ? "\($0);range=0-\(valueRange - 1)" : $0 }
    }

    public func computers(named names: [String]) throws -> [ObservedComputer] {
        var found: [ObservedComputer] = []
        let before = connection.counters.searchRequests
        let accounts = names.map { $0 + "$" }
        try computers(
            where: "sAMAccountName", isAnyOf: accounts, attributes: computerAttributes, binary: Self.binaryAttributes
        ) { entry in
            if let computer = Self.computer(try completed(entry)) { found.append(computer) }
        }
        computerSearches += connection.counters.searchRequests - before
        return found
    }

    /// `entry` with every ranged attribute (`msDS-AllowedToDelegateTo;range=0-1499`) read to its end, one base
    /// search per further chunk.
    func completed(_ entry: LDAPEntry) throws -> LDAPEntry {
        var entry = entry
        entry.attributes = try RangedAttribute.complete(entry.attributes) { next in
            let chunk = try connection.search(
                base: entry.dn, scope: .base, filter: "(objectClass=*)", attributes: [next],
                binary: Self.binaryAttributes)
            return chunk.first?.attributes ?? [:]
        }
        return entry
    }

    public func delegators(to spns: [String]) throws -> [String] {
        var found: [String] = []
        var seen = Set<ComputerName>()
        try computers(where: "msDS-AllowedToDelegateTo", isAnyOf: spns, attributes: ["sAMAccountName"]) { entry in
            guard let account = entry["sAMAccountName"].first else { return }
            let name = account.hasSuffix("$") ? String(account.dropLast()) : account
            if seen.insert(ComputerName(name)).inserted { found.append(name) }
        }
        return found
    }

    /// The computer objects whose `attribute` is any of `values`: one OR-filtered paged search per `batchSize`
    /// values, never one per value.
    private func computers(
        where attribute: String, isAnyOf values: [String], attributes: [String], binary: Set<String> = [],
        _ each: (LDAPEntry) throws -> Void
    ) throws {
        var start = values.startIndex
        while start < values.endIndex {
            let batch = Array(values[start..<min(start + batchSize, values.endIndex)])
            start += batch.count
            let filter = "(&(objectClass=computer)\(LDAPFilter.anyOf(attribute, batch)))"
            let entries = try connection.search(
                base: baseDN, scope: .subtree, filter: filter, attributes: attributes, pageSize: pageSize,
                binary: binary)
            for entry in entries {
                try each(entry)
            }
        }
    }

    /// The accounts holding `sids`: one OR-filtered paged search per `batchSize` SIDs (the SIDs in binary, every
    /// byte escaped), over every kind of account; none for no SIDs. What comes back is hostile input: see
    /// `owners(_:asked:)`.
    public func accounts(withSIDs sids: [SecurityIdentifier]) throws -> [SecurityIdentifier: SIDOwner] {
        var seen = Set<SecurityIdentifier>()
        let unique = sids.filter { seen.insert($0).inserted }
        var entries: [LDAPEntry] = []
        var start = unique.startIndex
        while start < unique.endIndex {
            let batch = unique[start..<min(start + batchSize, unique.endIndex)]
            start = batch.endIndex
            entries += try connection.search(
                base: baseDN, scope: .subtree, filter: LDAPFilter.anyOf("objectSid", binary: batch.map(\.bytes)),
                attributes: ["sAMAccountName", "objectClass", "objectSid"], pageSize: pageSize,
                binary: ["objectSid"])
        }
        return Self.owners(entries, asked: seen)
    }

    /// The owners of the SIDs in `asked` among `entries`, keyed by each entry's own `objectSid`. An entry is
    /// ignored when its objectSid is not exactly one well-formed SID, is not one asked for, or it has no
    /// sAMAccountName (a foreign security principal: such a SID stays unresolved). A SID held by more than
    /// one entry (a hostile directory, or duplicate SIDs) is a computer only if every holder is one, so that
    /// kcdctl, which removes only computers' grants, never removes it on the strength of one of them; the
    /// name is the first holder's.
    static func owners(_ entries: [LDAPEntry], asked: Set<SecurityIdentifier>) -> [SecurityIdentifier: SIDOwner] {
        var owners: [SecurityIdentifier: SIDOwner] = [:]
        for entry in entries {
            guard let sid = singleSID(entry["objectSid"]), asked.contains(sid),
                let account = entry["sAMAccountName"].first
            else { continue }
            let isComputer = Self.isComputerAccount(entry["objectClass"])
            if let earlier = owners[sid] {
                owners[sid]?.isComputer = earlier.isComputer && isComputer
            } else {
                owners[sid] = SIDOwner(accountName: account, isComputer: isComputer)
            }
        }
        return owners
    }

    /// A computer account by its object classes: `computer`, but not a managed service account (standalone, group
    /// or delegated), which inherits the class: a service's identity, whose grant `prune: managed` must not remove.
    static func isComputerAccount(_ classes: [String]) -> Bool {
        let lowered = Set(classes.map { $0.lowercased() })
        return lowered.contains("computer")
            && lowered.isDisjoint(with: [
                "msds-managedserviceaccount", "msds-groupmanagedserviceaccount", "msds-delegatedmanagedserviceaccount",
            ])
    }

    /// The SID of an `objectSid` read as base64: nil unless there is exactly one value and it is a well-formed SID.
    static func singleSID(_ values: [String]) -> SecurityIdentifier? {
        guard values.count == 1, let data = Data(base64Encoded: values[0]) else { return nil }
        return try? SecurityIdentifier(bytes: Array(data))
    }

    /// The computer an entry describes, its binary attributes read as base64 (`binaryAttributes`):
    /// - `objectSid`: nil unless exactly one value that is a well-formed SID;
    /// - `msDS-AllowedToActOnBehalfOfOtherIdentity`: nil when absent (no value); the bytes of its one value; and
    ///   for anything else, which AD never holds in this single-valued attribute (more than one value, a value that
    ///   is not base64), `[]`: never decodes as a descriptor, so the reconciler reports the host's descriptor as
    ///   corrupt and writes nothing to it, where nil would be taken for "no descriptor" and a first value for all.
    static func computer(_ entry: LDAPEntry) -> ObservedComputer? {
        guard let account = entry["sAMAccountName"].first else { return nil }
        let name = account.hasSuffix("$") ? String(account.dropLast()) : account
        return ObservedComputer(
            name: name, dn: entry.dn, dnsHostName: entry["dNSHostName"].first,
            userAccountControl: entry["userAccountControl"].first.flatMap(UserAccountControl.init(ldapValue:)) ?? [],
            allowedToDelegateTo: entry["msDS-AllowedToDelegateTo"],
            servicePrincipalNames: entry["servicePrincipalName"], usnChanged: entry["uSNChanged"].first,
            whenChanged: entry["whenChanged"].first, objectSid: singleSID(entry["objectSid"]),
            allowedToActOnBehalf: securityDescriptor(entry["msDS-AllowedToActOnBehalfOfOtherIdentity"]))
    }

    /// See `computer(_:)`: nil for no value, the one value's bytes, else `[]` (corrupt).
    static func securityDescriptor(_ values: [String]) -> [UInt8]? {
        guard !values.isEmpty else { return nil }
        guard values.count == 1, let data = Data(base64Encoded: values[0]) else { return [] }
        return Array(data)
    }

    private var mappings: SPNMappings?

    /// The forest's sPNMappings, from the Directory Service object of the configuration partition; read once
    /// per connection (they change about never).
    public func spnMappings() throws -> SPNMappings {
        if let mappings { return mappings }
        let read = try readSPNMappings()
        mappings = read
        return read
    }

    func readSPNMappings() throws -> SPNMappings {
        let rootDSE = try connection.search(
            base: "", scope: .base, filter: "(objectClass=*)",
            attributes: ["configurationNamingContext"])
        guard let configuration = rootDSE.first?["configurationNamingContext"].first else { return SPNMappings() }
        do {
            let entries = try connection.search(
                base: "CN=Directory Service,CN=Windows NT,CN=Services,\(configuration)", scope: .base,
                filter: "(objectClass=*)", attributes: ["sPNMappings"])
            return SPNMappings(values: entries.first?["sPNMappings"] ?? [])
        } catch let error as LDAPError where error.code == .noSuchObject {
            return SPNMappings()
        }
    }

    /// One modify: value-level delete and add of msDS-AllowedToDelegateTo, and userAccountControl as
    /// delete-old + add-new. Should anything differ from what the plan saw, the server refuses all of it.
    public func apply(_ change: HostChange) throws {
        do {
            try connection.modify(dn: change.dn, change.operations)
        } catch let error as LDAPError {
            throw Self.writeError(error, host: change.host, domainController: LDAPConnection.host(of: connection.uri))
        }
    }

    /// What a modify's error means for the host: changed since read (16, 20), refused by a read-only DC
    /// (10, a referral: definite, nothing written), an unknown outcome (the answer was lost), or the error itself.
    public static func writeError(_ error: LDAPError, host: String, domainController: String) -> any Error {
        switch error.code {
        case .noSuchAttribute, .attributeOrValueExists:
            ChangedMeanwhile(host: host, detail: "the directory refused the whole modify: \(error.code)")
        case .referral:
            ReadOnlyRefusal(host: host, domainController: domainController, referrals: error.referrals)
        case _ where error.requestMayHaveBeenApplied:
            OutcomeUnknown(host: host, cause: error)
        default:
            error
        }
    }

    /// A new connection to the same DC, bound as the first one was (the old one is dropped): never another
    /// DC in the middle of apply's writes (what it read back would not be what the writes were checked against).
    public func reconnect() throws {
        guard let reopen else {
            throw LDAPError(code: .serverDown, operation: "reconnect", diagnostic: "this directory cannot reconnect")
        }
        connection = try reopen()
        mappings = nil
    }
}
