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
    /// The computers the import starts from, and every computer named by a `Microsoft Virtual System Migration
    /// Service/…` value of a host (followed until no new one appears). In the order read.
    public var hosts: [ObservedComputer]
    /// The other computers named by a host's migration or cifs value (SMB storage, or a domain controller).
    public var others: [ObservedComputer]
    /// Names a host's migration or cifs value points at that have no computer object (decommissioned hosts).
    public var missing: [String]
    public var domainControllers: [ObservedComputer]
    public var spnMappings: SPNMappings

    public init(
        hosts: [ObservedComputer], others: [ObservedComputer] = [], missing: [String] = [],
        domainControllers: [ObservedComputer] = [], spnMappings: SPNMappings = SPNMappings()
    ) {
        self.hosts = hosts
        self.others = others
        self.missing = missing
        self.domainControllers = domainControllers
        self.spnMappings = spnMappings
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
    /// Hyper-V host whose own values are followed in turn); then the domain controllers and the SPN mappings.
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
        // Each round follows the values of the hosts not followed yet. A chain of hosts each naming only the
        // next would take one round per link; real estates take one or two.
        while true {
            let pending = order.filter { hosts.contains($0) && !followed.contains($0) }
            guard !pending.isEmpty else { break }
            var wanted: [String] = []
            for name in pending {
                followed.insert(name)
                for reference in references(of: read[name]!) {
                    let key = ComputerName(reference.name)
                    if reference.migration { migrationTargets.insert(key) }
                    if asked.insert(key).inserted { wanted.append(reference.name) }
                }
            }
            if !wanted.isEmpty {
                let found = try directory.computers(named: wanted).indexedByName()
                for name in wanted {
                    let key = ComputerName(name)
                    guard let computer = found[key] else {
                        missing.append(name)
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
            spnMappings: try directory.spnMappings())
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
