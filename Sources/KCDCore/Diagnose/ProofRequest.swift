extension DelegationProof {
    /// What `kcdctl verify` asks the KDC, decided from the manifest and the command's options: which host, as
    /// which principal, for which user, and which targets, the declared ones and one the host must not reach.
    public struct Request: Sendable, Equatable {
        /// The host as the manifest spells it.
        public var host: String
        public var realm: String
        /// The host's principal: `--principal`, else `HOST$@REALM`.
        public var principal: String
        /// The user to act for, as user@REALM.
        public var impersonated: String
        /// The manifest's targets for the host, of the service classes asked for (all when none was).
        public var declared: [String]
        /// The SPN the host must not reach: `--must-refuse`, else `cifs/` on a host of the manifest outside
        /// the host's clusters (an SPN the KDC knows, so that its refusal means something), else on the DC.
        public var mustRefuse: String
        /// The host is in resource-based mode: its targets' descriptors, not its own object, allow it.
        public var resourceBased = false

        /// What is asked of the KDC after S4U2Self, in order: the declared targets, then the one to be refused.
        public var targets: [(spn: String, declared: Bool)] {
            declared.map { ($0, true) } + [(mustRefuse, false)]
        }

        /// - Parameters:
        ///   - manifestPath: named in the error when the manifest gives no domain.
        ///   - services: service classes to check (any case); empty for all.
        ///   - directoryHost: a DC of the domain it is given (the host of `directory.uri`, or one DNS names):
        ///     its cifs SPN is the one to be refused when the manifest has no host outside the host's clusters.
        ///     Asked only then.
        /// - Throws: `ProofRequestError` for a host outside the manifest, a manifest without a domain, or no SPN
        ///   to be refused.
        public init(
            manifest: Manifest, manifestPath: String, host: String, impersonate: String, principal: String? = nil,
            realm: String? = nil, services: [String] = [], mustRefuse: String? = nil,
            directoryHost: (_ domain: String) -> String? = { _ in nil }
        ) throws {
            let name = ComputerName(host)
            guard let hostName = manifest.hosts.first(where: { ComputerName($0) == name }) else {
                throw ProofRequestError("--host \(host): not a host of the manifest")
            }
            let directory = manifest.directory
            guard let domain = directory.domain ?? directory.baseDN.flatMap(DirectorySettings.domain(fromBaseDN:))
            else {
                throw ProofRequestError(
                    "cannot tell the domain: set directory.domain or directory.baseDN in \(manifestPath)")
            }
            let realm = realm ?? domain.uppercased()
            // Service classes, compared as the manifest's `services` are.
            let wanted = Set(services.map { $0.lowercased() })
            let desired = DesiredState.expand(manifest, domain: domain).hosts.first { $0.name == hostName }!
            // Resource-based: the host may delegate to every service of the other hosts of its clusters (their
            // descriptors allow it); asked for the clusters' services and name forms, as a classic host would be.
            let resourceBased = desired.mode.isResourceBased
            let targets =
                resourceBased
                ? DesiredState.expand(manifest.asClassic, domain: domain).hosts.first { $0.name == hostName }!
                    .targets : desired.targets
            // A probe the KDC knows: a managed host this host does not delegate to, else a DC.
            let peers = Set(
                manifest.clusters.filter { $0.hosts.contains { ComputerName($0) == name } }
                    .flatMap(\.hosts).map(ComputerName.init))
            let outsider = manifest.hosts.first { !peers.contains(ComputerName($0)) }
            guard
                let refused = mustRefuse ?? outsider.map({ "cifs/\($0)" })
                    ?? directoryHost(domain).map({ "cifs/\($0)" })
            else {
                throw ProofRequestError(
                    "name an SPN the host must not reach with --must-refuse (no host outside its clusters, and no DC "
                        + "in directory.uri or DNS to take one from)")
            }
            self.host = hostName
            self.realm = realm
            self.principal = principal ?? "\(hostName)$@\(realm)"
            self.impersonated = impersonate.contains("@") ? impersonate : "\(impersonate)@\(realm)"
            self.declared = targets.filter { wanted.isEmpty || wanted.contains($0.serviceClass.lowercased()) }
                .map(\.value)
            self.mustRefuse = refused
            self.resourceBased = resourceBased
        }

    }
}

/// Options of `kcdctl verify` that name no usable request; exit 1 with this one line.
public struct ProofRequestError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
