import Testing

@testable import KCDCore

/// `kcdctl verify`'s decisions before it asks the KDC: the host, realm, principal, user and targets.
@Suite struct ProofRequests {
    /// Clusters a (HV01, HV02) and b (HV03), cifs only, short names.
    func twoClusters(uri: String? = nil, baseDN: String? = "DC=corp,DC=example,DC=com") -> Manifest {
        var m = manifest(
            Cluster(
                name: "a", mode: .anyProtocol, services: ["cifs", mvsms], nameForms: [.short],
                hosts: ["HV01", "HV02"]),
            Cluster(name: "b", mode: .anyProtocol, services: ["cifs"], nameForms: [.short], hosts: ["HV03"]))
        m.directory.uri = uri
        m.directory.baseDN = baseDN
        return m
    }

    func request(
        _ m: Manifest, host: String = "hv01", impersonate: String = "alice", principal: String? = nil,
        realm: String? = nil, services: [String] = [], mustRefuse: String? = nil,
        directoryHost: String? = nil
    ) throws -> DelegationProof.Request {
        try DelegationProof.Request(
            manifest: m, manifestPath: "hyperv.yaml", host: host, impersonate: impersonate, principal: principal,
            realm: realm, services: services, mustRefuse: mustRefuse, directoryHost: { _ in directoryHost })
    }

    /// A resource-based host is asked about its peers' SPNs (their descriptors allow it), and the text says what
    /// a KDC without resource-based delegation answers, never success.
    @Test func aResourceBasedHostIsAskedAboutItsPeers() throws {
        var m = twoClusters()
        m.clusters[0].mode = .resourceBased
        let r = try request(m)
        #expect(r.resourceBased && r.declared == ["cifs/HV02", "\(mvsms)/HV02"] && r.mustRefuse == "cifs/HV03")
        var proof = DelegationProof(
            host: "HV01", principal: r.principal, impersonated: r.impersonated, selfTicket: .granted,
            selfTicketForwardable: false,
            targets: r.targets.map { .init(spn: $0.spn, declared: $0.declared, outcome: .refused("KDC can't fulfill")) }
        )
        proof.resourceBased = true
        #expect(proof.verdict == .doesNotMatch)
        #expect(ProofText.render(proof).contains("A KDC that does not implement resource-based delegation"))
        #expect(ProofJSON.render(proof).contains("\"resourceBased\" : true"))
    }

    @Test func defaultsFromTheManifest() throws {
        let r = try request(twoClusters())
        #expect(r.host == "HV01", "spelled as the manifest spells it")
        #expect(r.realm == "CORP.EXAMPLE.COM" && r.principal == "HV01$@CORP.EXAMPLE.COM")
        #expect(r.impersonated == "alice@CORP.EXAMPLE.COM")
        #expect(r.declared == ["cifs/HV02", "\(mvsms)/HV02"])
        #expect(r.mustRefuse == "cifs/HV03", "a managed host outside HV01's clusters: the KDC knows it")
        #expect(
            r.targets.map { "\($0.spn) \($0.declared)" }
                == ["cifs/HV02 true", "\(mvsms)/HV02 true", "cifs/HV03 false"])
    }

    @Test func optionsWin() throws {
        let r = try request(
            twoClusters(), impersonate: "bob@OTHER", principal: "host/hv01@LAB", realm: "LAB",
            services: ["CIFS"], mustRefuse: "ldap/dc01")
        #expect(r.realm == "LAB" && r.principal == "host/hv01@LAB" && r.impersonated == "bob@OTHER")
        #expect(r.declared == ["cifs/HV02"] && r.mustRefuse == "ldap/dc01")
    }

    @Test func theDCWhenEveryHostIsAPeer() throws {
        var m = twoClusters()
        m.clusters.removeLast()
        #expect(try request(m, directoryHost: "dc01.corp.example.com").mustRefuse == "cifs/dc01.corp.example.com")
        #expect(
            throws: ProofRequestError(
                "name an SPN the host must not reach with --must-refuse (no host outside its clusters, and no DC "
                    + "in directory.uri or DNS to take one from)")
        ) {
            try request(m)
        }
        // The DC is asked for with the manifest's domain, and only when no other SPN will do.
        var asked: [String] = []
        let viaDNS = try DelegationProof.Request(
            manifest: m, manifestPath: "m.yaml", host: "HV01", impersonate: "alice",
            directoryHost: {
                asked.append($0)
                return "dc2.corp.example.com"
            })
        #expect(viaDNS.mustRefuse == "cifs/dc2.corp.example.com" && asked == ["corp.example.com"])
        asked = []
        _ = try DelegationProof.Request(
            manifest: twoClusters(), manifestPath: "m.yaml", host: "HV01", impersonate: "alice",
            directoryHost: {
                asked.append($0)
                return nil
            })
        #expect(asked.isEmpty)
    }

    @Test func aHostOutsideTheManifest() {
        #expect(throws: ProofRequestError("--host HV09: not a host of the manifest")) {
            try request(twoClusters(), host: "HV09")
        }
        #expect(throws: ProofRequestError.self, "KELVIN SIGN is not a K") {
            var m = twoClusters()
            m.clusters[1].hosts = ["HV0K"]
            _ = try request(m, host: "hv0\u{212A}")
        }
    }

    @Test func aManifestWithoutADomain() {
        #expect(
            throws: ProofRequestError(
                "cannot tell the domain: set directory.domain or directory.baseDN in hyperv.yaml")
        ) {
            try request(twoClusters(baseDN: nil))
        }
    }
}

@Suite struct ComputerNames {
    @Test func caseInsensitiveInASCIIOnly() {
        #expect(ComputerName("hv01") == ComputerName("HV01") && ComputerName("HV01").key == "hv01")
        #expect(ComputerName("HV0\u{212A}") != ComputerName("HV0K"), "KELVIN SIGN folds into k only in Unicode")
        #expect(ComputerName("hv01").value == "hv01" && ComputerName("HV01").description == "HV01")
        #expect(ComputerName("ÜN-01").key == "Ün-01", "only ASCII letters fold")
    }

    @Test func theIndexKeepsTheFirstObjectOfAName() {
        let index = [computer("HV01"), computer("hv01", values: ["cifs/X"]), computer("HV02")].indexedByName()
        #expect(index.count == 2 && index[ComputerName("Hv01")]?.allowedToDelegateTo == [])
        #expect(index[ComputerName("HV0\u{212A}")] == nil)
    }

    @Test func aPlanLimitedToTargetsInAnyCase() throws {
        let p = try Reconciler.plan(
            pair(), domain: "corp.example.com", observed: [computer("HV01"), computer("HV02")],
            spnMappings: cifsMapping, targets: [ComputerName("hv02")])
        #expect(p.changes.map(\.host) == ["HV02"])
    }
}
