import Foundation

/// The plan as JSON: what `plan --format json` prints and `plan --out` saves, and what `apply PLAN.json`
/// reads back. Self-contained (the manifest's whole text, which directory, when, by which kcdctl), it carries
/// per host the state the change was computed against, a SHA-256 over everything else, and optionally an
/// Ed25519 signature over that SHA-256. A saved plan is accepted only byte for byte as kcdctl writes it, so
/// nothing (an unknown key, a reformatted value) can sit outside the checksum. The checksum detects damage
/// and hand edits; only the signature, or checking the plan against a manifest, stops someone who can
/// recompute it. Schema: docs/plan-format.md and docs/plan.schema.json.
public struct PlanDocument: Codable, Equatable, Sendable {
    public static let kindName = "kcdctl-plan"
    public static let currentFormatVersion = 2
    /// Larger saved plans are refused before they are parsed.
    public static let maximumFileSize = 256 << 20
    /// How far in the future `createdAt` may lie (clocks of a CI runner and an operator's box differ a little).
    public static let clockSkew: Double = 300

    public var kind: String
    public var formatVersion: Int
    public var kcdctlVersion: String
    /// ISO 8601, UTC.
    public var createdAt: String
    public var manifest: ManifestReference
    public var directory: DirectoryReference
    /// The hosts the plan was limited to (`--target`), if it was.
    public var targets: [String]?
    public var changes: [Change]
    public var unchanged: [String]
    public var warnings: [Warning]
    public var summary: Plan.Summary
    /// SHA-256 (hex) of this document's JSON with this field and `signature` left out.
    public var sha256: String?
    /// Who vouches for this plan: an Ed25519 signature over `sha256`.
    public var signature: Signature?

    public struct ManifestReference: Codable, Equatable, Sendable {
        public var path: String
        public var sha256: String
        /// The manifest's text, exactly: what the plan was made from and is checked against.
        public var content: String
    }

    public struct Signature: Codable, Equatable, Sendable {
        /// `ed25519`
        public var algorithm: String
        /// The fingerprint of the public key that verifies it (`SHA256:…`).
        public var key: String
        /// Base64.
        public var value: String
    }

    public struct DirectoryReference: Codable, Equatable, Sendable {
        public var uri: String
        public var baseDN: String
    }

    public struct Change: Codable, Equatable, Sendable {
        public var host: String
        public var dn: String
        public var mode: String
        public var clusters: [String]
        public var observed: Observed
        public var add: [String]
        public var remove: [String]
        public var userAccountControl: UAC?
        public var securityFix: Bool
        /// Resource-based delegation: the grants added and removed, and the value written (absent for classic).
        public var resourceBased: ResourceBased?
    }

    /// The change of `msDS-AllowedToActOnBehalfOfOtherIdentity`.
    public struct ResourceBased: Codable, Equatable, Sendable {
        public struct Grant: Codable, Equatable, Sendable {
            public var sid: String
            /// `sAMAccountName`, when the directory resolved the SID.
            public var account: String?
        }
        public var allow: [Grant]
        public var revoke: [Grant]
        /// Base64 of the security descriptor written; absent when the attribute is deleted.
        public var value: String?
    }

    /// The object as read when the plan was made: applying refuses a host that no longer looks like this.
    public struct Observed: Codable, Equatable, Sendable {
        public var allowedToDelegateTo: [String]
        public var userAccountControl: Int
        public var uSNChanged: String?
        /// Base64 of `msDS-AllowedToActOnBehalfOfOtherIdentity` as read, for a resource-based change.
        public var allowedToActOnBehalf: String?

        enum CodingKeys: String, CodingKey {
            case allowedToDelegateTo = "msDS-AllowedToDelegateTo"
            case userAccountControl, uSNChanged
            case allowedToActOnBehalf = "msDS-AllowedToActOnBehalfOfOtherIdentity"
        }
    }

    public struct UAC: Codable, Equatable, Sendable {
        public var from: Int
        public var to: Int
        public var fromFlags: [String]
        public var toFlags: [String]
        public var setFlags: [String]
        public var clearedFlags: [String]
    }

    public struct Warning: Codable, Equatable, Sendable {
        public var subject: String
        public var message: String
    }

    /// What the plan was computed from, besides the directory's state.
    public struct Context: Sendable {
        public var kcdctlVersion: String
        public var createdAt: Date
        public var manifestPath: String
        public var manifestSHA256: String
        public var manifestContent: String
        public var uri: String
        public var baseDN: String
        public var targets: [String]?

        public init(
            kcdctlVersion: String, createdAt: Date, manifestPath: String, manifestSHA256: String,
            manifestContent: String, uri: String, baseDN: String, targets: [String]? = nil
        ) {
            self.kcdctlVersion = kcdctlVersion
            self.createdAt = createdAt
            self.manifestPath = manifestPath
            self.manifestSHA256 = manifestSHA256
            self.manifestContent = manifestContent
            self.uri = uri
            self.baseDN = baseDN
            self.targets = targets
        }
    }

    public init(_ plan: Plan, _ context: Context) {
        kind = Self.kindName
        formatVersion = Self.currentFormatVersion
        kcdctlVersion = context.kcdctlVersion
        createdAt = Self.timestamp(context.createdAt)
        manifest = ManifestReference(
            path: context.manifestPath, sha256: context.manifestSHA256, content: context.manifestContent)
        directory = DirectoryReference(uri: context.uri, baseDN: context.baseDN)
        targets = context.targets
        changes = plan.changes.map { change in
            Change(
                host: change.host, dn: change.dn, mode: change.mode.rawValue, clusters: change.clusters,
                observed: Observed(
                    allowedToDelegateTo: change.observed.allowedToDelegateTo,
                    userAccountControl: Self.int(change.observed.userAccountControl),
                    uSNChanged: change.observed.usnChanged,
                    allowedToActOnBehalf: change.resourceBased?.from.map { Data($0).base64EncodedString() }),
                add: change.add.map(\.value), remove: change.remove.map(\.value),
                userAccountControl: change.userAccountControl.map { uac in
                    UAC(
                        from: Self.int(uac.from), to: Self.int(uac.to), fromFlags: uac.from.flagNames,
                        toFlags: uac.to.flagNames,
                        setFlags: uac.added.flagNames, clearedFlags: uac.removed.flagNames)
                },
                securityFix: change.removesUnconstrainedDelegation,
                resourceBased: change.resourceBased.map { rbcd in
                    ResourceBased(
                        allow: rbcd.allow.map { ResourceBased.Grant(sid: $0.sid.description, account: $0.accountName) },
                        revoke: rbcd.revoke.map {
                            ResourceBased.Grant(sid: $0.sid.description, account: $0.accountName)
                        },
                        value: rbcd.to.map { Data($0).base64EncodedString() })
                })
        }
        unchanged = plan.unchanged
        warnings = plan.warnings.map { Warning(subject: $0.subject, message: $0.message) }
        summary = plan.summary
        sha256 = Self.checksum(of: self)
    }

    /// The plan this document describes.
    public var plan: Plan {
        get throws {
            let changes = try self.changes.map { c -> HostChange in
                guard let mode = DelegationMode(rawValue: c.mode) else {
                    throw PlanDocumentError(
                        "host \(Printable.quoted(c.host)) has an unknown mode \(Printable.quoted(c.mode))")
                }
                func uac(_ value: Int, _ what: String) throws -> UserAccountControl {
                    guard value >= Int(Int32.min), value <= Int(UInt32.max) else {
                        throw PlanDocumentError(
                            "host \(Printable.quoted(c.host)): \(what) \(value) is not a 32-bit userAccountControl")
                    }
                    return UserAccountControl(rawValue: UInt32(truncatingIfNeeded: value))
                }
                func bytes(_ base64: String?, _ what: String) throws -> [UInt8]? {
                    guard let base64 else { return nil }
                    guard base64.utf8.count <= 1 << 20, let data = Data(base64Encoded: base64) else {
                        throw PlanDocumentError("host \(Printable.quoted(c.host)): \(what) is not base64")
                    }
                    return Array(data)
                }
                func principals(_ grants: [ResourceBased.Grant]) throws -> [ResourceBasedChange.Principal] {
                    try grants.map { grant in
                        do {
                            return .init(sid: try SecurityIdentifier(grant.sid), accountName: grant.account)
                        } catch {
                            throw PlanDocumentError("host \(Printable.quoted(c.host)): \(error)")
                        }
                    }
                }
                let from = try bytes(c.observed.allowedToActOnBehalf, "the observed \(ResourceBasedChange.attribute)")
                var observed = ObservedComputer(
                    name: c.host, dn: c.dn,
                    userAccountControl: try uac(c.observed.userAccountControl, "observed userAccountControl"),
                    allowedToDelegateTo: c.observed.allowedToDelegateTo, usnChanged: c.observed.uSNChanged)
                observed.allowedToActOnBehalf = from
                let resourceBased = try c.resourceBased.map { rbcd in
                    ResourceBasedChange(
                        allow: try principals(rbcd.allow), revoke: try principals(rbcd.revoke), from: from,
                        to: try bytes(rbcd.value, "the new \(ResourceBasedChange.attribute)"))
                }
                return HostChange(
                    host: c.host, dn: c.dn, mode: mode, clusters: c.clusters, add: c.add.map(SPN.init),
                    remove: c.remove.map(SPN.init),
                    userAccountControl: try c.userAccountControl.map {
                        UserAccountControlChange(
                            from: try uac($0.from, "userAccountControl.from"),
                            to: try uac($0.to, "userAccountControl.to"))
                    },
                    observed: observed, resourceBased: resourceBased)
            }
            return Plan(
                changes: changes, unchanged: unchanged,
                warnings: warnings.map { PlanWarning(subject: $0.subject, message: $0.message) })
        }
    }

    /// Refuses a plan made more than `maxAge` seconds before `now`, or in the future (beyond `clockSkew`).
    public func checkAge(now: Date, maxAge: Double) throws {
        guard let created = createdDate else {
            throw PlanDocumentError("its createdAt \(Printable.quoted(createdAt)) is not a time")
        }
        let age = now.timeIntervalSince(created)
        guard age >= -Self.clockSkew else {
            throw PlanDocumentError(
                "it says it was made at \(createdAt), in the future (this machine's clock says \(Self.timestamp(now))): refusing it"
            )
        }
        guard age <= maxAge else {
            throw PlanDocumentError(
                "it was made \(Self.duration(age)) ago, more than --max-age (\(Self.duration(maxAge))): make a new plan"
            )
        }
    }

    /// Signs the plan (replacing any signature).
    public mutating func sign(with key: PlanSigningKey) throws {
        let digest = Self.checksum(of: self)
        sha256 = digest
        signature = Signature(
            algorithm: "ed25519", key: key.verifyingKey.fingerprint,
            value: Data(try key.sign(Self.signedMessage(digest))).base64EncodedString())
    }

    /// Throws unless the plan carries a signature that `key` verifies.
    public func verifySignature(with key: PlanVerifyingKey) throws {
        guard let signature else {
            throw PlanSignatureError("the plan is not signed, and a signature by \(key.fingerprint) is required")
        }
        guard signature.algorithm == "ed25519", let value = Data(base64Encoded: signature.value), let digest = sha256,
            key.isValid(Array(value), for: Self.signedMessage(digest))
        else {
            throw PlanSignatureError(
                "the plan's signature (by \(Printable.quoted(signature.key))) does not verify with key \(key.fingerprint): refusing it"
            )
        }
    }

    static func signedMessage(_ digest: String) -> [UInt8] { Array("kcdctl-plan-v2 sha256:\(digest)".utf8) }

    static func duration(_ seconds: Double) -> String {
        seconds >= 7200 ? "\(Int(seconds / 3600)) h" : seconds >= 120 ? "\(Int(seconds / 60)) min" : "\(Int(seconds)) s"
    }

    public var createdDate: Date? { ISO8601DateFormatter().date(from: createdAt) }

    /// Pretty JSON with sorted keys: stable bytes for review and for the checksum.
    public func encoded() -> String {
        String(decoding: Self.encode(self), as: UTF8.self) + "\n"
    }

    /// Reads a saved plan, refusing anything that is not one, is of another format version, or was changed
    /// after kcdctl wrote it.
    public static func decode(_ data: [UInt8]) throws -> PlanDocument {
        let document: PlanDocument
        do {
            document = try JSONDecoder().decode(PlanDocument.self, from: Data(data))
        } catch let error as DecodingError {
            throw PlanDocumentError("not a readable kcdctl plan (\(describe(error)))")
        }
        guard document.kind == kindName else { throw PlanDocumentError("not a kcdctl plan (kind '\(document.kind)')") }
        guard document.formatVersion == currentFormatVersion else {
            throw PlanDocumentError(
                "plan format version \(document.formatVersion); this kcdctl reads version \(currentFormatVersion): make a new plan"
            )
        }
        guard let recorded = document.sha256, recorded == checksum(of: document) else {
            throw PlanDocumentError(
                "the plan was changed after kcdctl wrote it (its sha256 does not match its content); make a new plan")
        }
        // Byte for byte what kcdctl writes: no unknown key, duplicate key or other spelling outside the checksum.
        guard Array(document.encoded().utf8) == data else {
            throw PlanDocumentError(
                "the plan was changed after kcdctl wrote it (it is not byte for byte what kcdctl writes: an added key, a duplicate or reformatted text); make a new plan"
            )
        }
        guard Digest.sha256(document.manifest.content) == document.manifest.sha256 else {
            throw PlanDocumentError("the manifest inside the plan does not match its sha256; make a new plan")
        }
        _ = try document.plan
        return document
    }

    static func checksum(of document: PlanDocument) -> String {
        var body = document
        body.sha256 = nil
        body.signature = nil
        return Digest.sha256(encode(body))
    }

    static func encode(_ document: PlanDocument) -> [UInt8] {
        // Plain strings, numbers and arrays: encoding cannot fail.
        // swift-format-ignore: NeverUseForceTry
        try! JSONOutput.encode(document)
    }

    static func int(_ uac: UserAccountControl) -> Int { Int(Int32(bitPattern: uac.rawValue)) }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .dataCorrupted(context), let .keyNotFound(_, context), let .typeMismatch(_, context),
            let .valueNotFound(_, context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            let what: String =
                switch error {
                case let .keyNotFound(key, _): "missing \(key.stringValue)"
                case .typeMismatch: "wrong type"
                case .valueNotFound: "missing value"
                default: (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
                }
            return path.isEmpty ? what : "\(what) at \(path)"
        @unknown default:
            return "\(error)"
        }
    }
}

public struct PlanDocumentError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
