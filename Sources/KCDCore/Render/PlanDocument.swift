import Foundation

/// The plan as JSON: what `plan --format json` prints and `plan --out` saves, and what `apply PLAN.json`
/// reads back. Self-describing (what manifest, which directory, when, by which kcdctl), it carries per host
/// the state the change was computed against, and a SHA-256 over everything else so that a damaged or
/// hand-edited file is refused. Schema: docs/plan-format.md and docs/plan.schema.json.
public struct PlanDocument: Codable, Equatable, Sendable {
    public static let kindName = "kcdctl-plan"
    public static let currentFormatVersion = 1

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
    /// SHA-256 (hex) of this document's JSON with this field left out.
    public var sha256: String?

    public struct ManifestReference: Codable, Equatable, Sendable {
        public var path: String
        public var sha256: String
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
    }

    /// The object as read when the plan was made: applying refuses a host that no longer looks like this.
    public struct Observed: Codable, Equatable, Sendable {
        public var allowedToDelegateTo: [String]
        public var userAccountControl: Int
        public var uSNChanged: String?

        enum CodingKeys: String, CodingKey {
            case allowedToDelegateTo = "msDS-AllowedToDelegateTo"
            case userAccountControl, uSNChanged
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
        public var uri: String
        public var baseDN: String
        public var targets: [String]?

        public init(kcdctlVersion: String, createdAt: Date, manifestPath: String, manifestSHA256: String,
                    uri: String, baseDN: String, targets: [String]? = nil) {
            self.kcdctlVersion = kcdctlVersion
            self.createdAt = createdAt
            self.manifestPath = manifestPath
            self.manifestSHA256 = manifestSHA256
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
        manifest = ManifestReference(path: context.manifestPath, sha256: context.manifestSHA256)
        directory = DirectoryReference(uri: context.uri, baseDN: context.baseDN)
        targets = context.targets
        changes = plan.changes.map { change in
            Change(
                host: change.host, dn: change.dn, mode: change.mode.rawValue, clusters: change.clusters,
                observed: Observed(allowedToDelegateTo: change.observed.allowedToDelegateTo,
                                   userAccountControl: Self.int(change.observed.userAccountControl),
                                   uSNChanged: change.observed.usnChanged),
                add: change.add.map(\.value), remove: change.remove.map(\.value),
                userAccountControl: change.userAccountControl.map { uac in
                    UAC(from: Self.int(uac.from), to: Self.int(uac.to), fromFlags: uac.from.flagNames, toFlags: uac.to.flagNames,
                        setFlags: uac.added.flagNames, clearedFlags: uac.removed.flagNames)
                },
                securityFix: change.removesUnconstrainedDelegation)
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
                    throw PlanDocumentError("host \(c.host) has an unknown mode '\(c.mode)'")
                }
                let observedUAC = UserAccountControl(rawValue: UInt32(truncatingIfNeeded: c.observed.userAccountControl))
                let observed = ObservedComputer(
                    name: c.host, dn: c.dn, userAccountControl: observedUAC, allowedToDelegateTo: c.observed.allowedToDelegateTo,
                    usnChanged: c.observed.uSNChanged)
                return HostChange(
                    host: c.host, dn: c.dn, mode: mode, clusters: c.clusters, add: c.add.map(SPN.init), remove: c.remove.map(SPN.init),
                    userAccountControl: c.userAccountControl.map {
                        UserAccountControlChange(from: UserAccountControl(rawValue: UInt32(truncatingIfNeeded: $0.from)),
                                                 to: UserAccountControl(rawValue: UInt32(truncatingIfNeeded: $0.to)))
                    },
                    observed: observed)
            }
            return Plan(changes: changes, unchanged: unchanged,
                        warnings: warnings.map { PlanWarning(subject: $0.subject, message: $0.message) })
        }
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
            throw PlanDocumentError("plan format version \(document.formatVersion); this kcdctl reads version \(currentFormatVersion)")
        }
        guard let recorded = document.sha256, recorded == checksum(of: document) else {
            throw PlanDocumentError("the plan was changed after kcdctl wrote it (its sha256 does not match its content); make a new plan")
        }
        return document
    }

    static func checksum(of document: PlanDocument) -> String {
        var body = document
        body.sha256 = nil
        return SHA256.hex(encode(body))
    }

    static func encode(_ document: PlanDocument) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Plain strings, numbers and arrays: encoding cannot fail.
        return Array(try! encoder.encode(document))
    }

    static func int(_ uac: UserAccountControl) -> Int { Int(Int32(bitPattern: uac.rawValue)) }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .dataCorrupted(context), let .keyNotFound(_, context), let .typeMismatch(_, context), let .valueNotFound(_, context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            let what: String = switch error {
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
