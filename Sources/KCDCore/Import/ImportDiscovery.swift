/// What `kcdctl import` reads from the directory. Implemented by `ActiveDirectory` (KCDLDAP); in memory by the
/// tests. Every read is batched: the discovery costs a handful of searches, never one per host.
public protocol ImportDirectory {
    /// The computer objects with these names (sAMAccountName without `$`); names with no object are absent.
    func computers(named names: [String]) throws -> [ObservedComputer]
    /// The computer objects that register an SPN of this service class (`serviceClass/*`), in the subtree under
    /// `base` (nil: the directory's base DN). One paged search.
    func computers(registering serviceClass: String, under base: String?) throws -> [ObservedComputer]
    /// The domain controllers (SERVER_TRUST_ACCOUNT or PARTIAL_SECRETS_ACCOUNT): delegation to their services
    /// is a path to the whole domain.
    func domainControllers() throws -> [ObservedComputer]
    func spnMappings() throws -> SPNMappings
    /// The accounts whose `objectSid` is one of `sids` (any kind of account); SIDs no account has are absent. The
    /// same read as `Directory.accounts(withSIDs:)`: who the hosts' resource-based grants name.
    func accounts(withSIDs sids: [SecurityIdentifier]) throws -> [SecurityIdentifier: SIDOwner]
}

/// Which Hyper-V hosts an import starts from.
public enum ImportScope: Sendable, Equatable {
    /// Every computer registering `Microsoft Virtual System Migration Service/*` under this base (nil: the
    /// directory's base DN).
    case registering(searchBase: String?)
    /// These computers (`--hosts`), whatever SPNs they register.
    case named([String])
}

/// What the directory holds: the Hyper-V hosts, the other computers their delegation names, the domain
/// controllers and the forest's SPN mappings. Raw: nothing here has been checked yet.
public struct ImportObservation: Sendable, Equatable {
    /// The computers the import starts from, every computer named by a `Microsoft Virtual System Migration
    /// Service/…` value of a host, and every computer registering that service that a host's resource-based grant
    /// names (followed until no new one appears). In the order read.
    public var hosts: [ObservedComputer]
    /// The other computers named by a host's migration or cifs value (SMB storage, or a domain controller), or
    /// granted by a host's resource-based delegation (e.g. a management server).
    public var others: [ObservedComputer]
    /// Names a host's migration or cifs value points at that have no computer object (decommissioned hosts).
    public var missing: [String]
    public var domainControllers: [ObservedComputer]
    public var spnMappings: SPNMappings
    /// Who the SIDs of the hosts' resource-based grants (of kcdctl's form) are, when they are not computers read
    /// above (those are known by their objectSid): users, groups, other computers. SIDs no account has are absent.
    public var sidOwners: [SecurityIdentifier: SIDOwner]

    public init(
        hosts: [ObservedComputer], others: [ObservedComputer] = [], missing: [String] = [],
        domainControllers: [ObservedComputer] = [], spnMappings: SPNMappings = SPNMappings(),
        sidOwners: [SecurityIdentifier: SIDOwner] = [:]
    ) {
        self.hosts = hosts
        self.others = others
        self.missing = missing
        self.domainControllers = domainControllers
        self.spnMappings = spnMappings
        self.sidOwners = sidOwners
    }
}

/// `--hosts` named computers that do not exist: nothing is written.
public struct ImportHostsNotFound: Error, Equatable, CustomStringConvertible {
    public var names: [String]
    public var description: String {
        "--hosts \(names.map(Printable.escape).joined(separator: ", ")): no computer object of that name in the directory; nothing was written"
    }
}

extension Importer {
    public static let migrationService = "Microsoft Virtual System Migration Service"

    /// `kcdctl import`'s one entry point: reads the directory (`observe`), then infers and plans (`run`).
    public static func run(
        _ directory: some ImportDirectory, scope: ImportScope, template: Manifest, domain: String
    ) throws -> (observation: ImportObservation, result: ImportResult) {
        let observation = try observe(directory, scope: scope)
        return (observation, try run(observation, template: template, domain: domain))
    }

    /// Reads what an import needs: the hosts of `scope`, then, in rounds of one batched read each, every computer
    /// their migration and cifs values name that was not read yet (a computer named by a migration value is a
    /// Hyper-V host whose own values are followed in turn), and every computer their resource-based grants (of
    /// kcdctl's form) name, found by one batched read of the SIDs no computer read so far has (a computer that
    /// registers the migration service is a Hyper-V host, followed in turn); then the domain controllers and the
    /// SPN mappings.
    public static func observe(_ directory: some ImportDirectory, scope: ImportScope) throws -> ImportObservation {
        var seeds: [ObservedComputer]
        switch scope {
        case .registering(let base):
            seeds = try directory.computers(registering: migrationService, under: base)
        case .named(let names):
            seeds = try directory.computers(named: names)
            let found = Set(seeds.map { ComputerName($0.name) })
            let absent = names.filter { !found.contains(ComputerName($0)) }
            guard absent.isEmpty else { throw ImportHostsNotFound(names: absent) }
        }
        var read: [ComputerName: ObservedComputer] = [:]
        var order: [ComputerName] = []
        for computer in seeds where read[ComputerName(computer.name)] == nil {
            read[ComputerName(computer.name)] = computer
            order.append(ComputerName(computer.name))
        }
        var hosts = Set(order)
        var followed = Set<ComputerName>()
        var asked = Set(order)
        // Names some host's migration value points at: those computers are Hyper-V hosts too.
        var migrationTargets = Set<ComputerName>()
        var missing: [String] = []
        // SIDs of resource-based grants asked about, and who they are.
        var askedSIDs = Set<SecurityIdentifier>()
        var owners: [SecurityIdentifier: SIDOwner] = [:]
        // Names asked only because a grant names them: not "missing" when absent (a value never named them).
        var granted = Set<ComputerName>()
        // Each round follows the values of the hosts not followed yet. A chain of hosts each naming only the
        // next would take one round per link; real estates take one or two.
        while true {
            let pending = order.filter { hosts.contains($0) && !followed.contains($0) }
            guard !pending.isEmpty else { break }
            var wanted: [String] = []
            var sids: [SecurityIdentifier] = []
            let known = Set(read.values.compactMap(\.objectSid))
            for name in pending {
                followed.insert(name)
                for reference in references(of: read[name]!) {
                    let key = ComputerName(reference.name)
                    if reference.migration { migrationTargets.insert(key) }
                    if asked.insert(key).inserted { wanted.append(reference.name) }
                }
                for sid in grants(of: read[name]!) where !known.contains(sid) && askedSIDs.insert(sid).inserted {
                    sids.append(sid)
                }
            }
            if !sids.isEmpty {
                let found = try directory.accounts(withSIDs: sids)
                for sid in sids {
                    guard let owner = found[sid] else { continue }
                    owners[sid] = owner
                    // A computer's sAMAccountName ends in `$`; only a name a manifest can hold is ever sent.
                    guard owner.isComputer, owner.accountName.hasSuffix("$") else { continue }
                    let name = String(owner.accountName.dropLast())
                    guard ManifestLoader.computerNameProblem(name) == nil else { continue }
                    if asked.insert(ComputerName(name)).inserted {
                        wanted.append(name)
                        granted.insert(ComputerName(name))
                    }
                }
            }
            if !wanted.isEmpty {
                let found = try directory.computers(named: wanted).indexedByName()
                for name in wanted {
                    let key = ComputerName(name)
                    guard let computer = found[key] else {
                        if !granted.contains(key) { missing.append(name) }
                        continue
                    }
                    read[key] = computer
                    order.append(key)
                    if registersMigrationService(computer) { hosts.insert(key) }
                }
            }
            for name in order where migrationTargets.contains(name) { hosts.insert(name) }
        }
        return ImportObservation(
            hosts: order.filter(hosts.contains).map { read[$0]! },
            others: order.filter { !hosts.contains($0) }.map { read[$0]! },
            missing: missing, domainControllers: try directory.domainControllers(),
            spnMappings: try directory.spnMappings(), sidOwners: owners)
    }

    /// The SIDs a computer's `msDS-AllowedToActOnBehalfOfOtherIdentity` grants in kcdctl's form; none when the
    /// value is absent or does not decode (import reports that).
    static func grants(of computer: ObservedComputer) -> [SecurityIdentifier] {
        guard let bytes = computer.allowedToActOnBehalf, let descriptor = try? SecurityDescriptor(decoding: bytes)
        else { return [] }
        return descriptor.kcdctlGrants
    }

    /// The computers a host's migration and cifs values name, by the first label of the value's host (only
    /// names that could be computer names: nothing else is ever sent in a filter).
    static func references(of computer: ObservedComputer) -> [(name: String, migration: Bool)] {
        computer.allowedToDelegateTo.compactMap { value in
            let spn = SPN(value)
            guard let service = spn.asciiServiceClass, service == "cifs" || service == migrationServiceKey else {
                return nil
            }
            let name = String(spn.host.prefix { $0 != "." })
            guard ManifestLoader.computerNameProblem(name) == nil else { return nil }
            return (name, service == migrationServiceKey)
        }
    }

    static let migrationServiceKey = migrationService.lowercased()

    static func registersMigrationService(_ computer: ObservedComputer) -> Bool {
        computer.servicePrincipalNames.contains { SPN($0).asciiServiceClass == migrationServiceKey }
    }
}
