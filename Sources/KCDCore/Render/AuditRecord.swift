import Foundation

/// One line of the audit trail (JSON Lines, keys sorted): who wrote what to which host, and what came of it.
/// Operators parse these records (docs/change-review.md), so the keys and values are a format: a golden test
/// pins its bytes.
public struct AuditRecord: Encodable, Sendable {
    /// What every record of one run repeats.
    public struct Context: Sendable {
        /// Who the directory says kcdctl is (LDAP Who-am-I), else who it bound as.
        public var identity: String
        /// The bind DN or Kerberos principal.
        public var boundAs: String
        public var directory: String
        public var baseDN: String
        public var manifestSHA256: String
        /// The saved plan's hash, or that of the plan made in this run.
        public var planSHA256: String
        /// The kcdctl that writes (`kcdctl --version`'s version; the plan's maker is in the plan).
        public var kcdctlVersion: String

        public init(
            identity: String, boundAs: String, directory: String, baseDN: String, manifestSHA256: String,
            planSHA256: String, kcdctlVersion: String = BuildInfo.current.version
        ) {
            self.identity = identity
            self.boundAs = boundAs
            self.directory = directory
            self.baseDN = baseDN
            self.manifestSHA256 = manifestSHA256
            self.planSHA256 = planSHA256
            self.kcdctlVersion = kcdctlVersion
        }
    }

    public struct Operation: Encodable, Sendable {
        var op: String
        var attribute: String
        var values: [String]
    }

    var time: String
    var identity: String
    var boundAs: String
    var directory: String
    var baseDN: String
    var manifestSHA256: String
    var planSHA256: String
    var kcdctlVersion: String
    var host: String
    var dn: String
    var operations: [Operation]
    /// intent (written before the request is sent), then its outcome: applied, failed (refused by the
    /// directory: nothing written), unknown (no answer: the directory may have applied it), stale (the host
    /// changed since the plan: nothing sent) or refused (the plan leaves the manifest: nothing sent);
    /// already-applied (the host holds the plan's result: nothing sent).
    var result: String
    /// The directory's result code and its name: 0 `success` when applied, the refusal's when failed.
    var code: Int32?
    var codeName: String?
    var message: String?

    static let confirmedByReread =
        "the directory's answer was lost; a re-read over a new connection shows the change in place"

    public init(_ event: ApplyEvent, context: Context, time: Date) {
        let (change, result, message): (HostChange, String, String?) =
            switch event {
            case let .intent(change): (change, "intent", nil)
            case let .applied(change, _, _, confirmed):
                (change, "applied", confirmed ? Self.confirmedByReread : nil)
            case let .stale(change, difference): (change, "stale", difference)
            case let .failed(change, error): (change, "failed", String(describing: error))
            case let .unknown(change, detail): (change, "unknown", detail)
            case let .refused(change, violation): (change, "refused", String(describing: violation))
            case let .alreadyApplied(change):
                (change, "already-applied", "the host already holds the plan's result; nothing sent")
            }
        switch event {
        case .applied: (code, codeName) = (0, "success")
        case let .failed(_, error as any DirectoryResultError): (code, codeName) = (error.resultCode, error.resultName)
        default: (code, codeName) = (nil, nil)
        }
        self.time = PlanDocument.timestamp(time)
        (identity, boundAs, directory, baseDN) = (context.identity, context.boundAs, context.directory, context.baseDN)
        (manifestSHA256, planSHA256) = (context.manifestSHA256, context.planSHA256)
        kcdctlVersion = context.kcdctlVersion
        (host, dn, self.result, self.message) = (change.host, change.dn, result, message)
        operations = change.operations.map {
            Operation(op: $0.kind.rawValue, attribute: $0.attribute, values: $0.values)
        }
    }
}
