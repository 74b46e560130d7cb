import Foundation

/// The plan as JSON for tools: `changes[]` (host, dn, add, remove, userAccountControl {from, to}),
/// `unchanged`, `warnings` and `summary`. Keys sorted, so the bytes are stable.
public enum PlanJSON {
    public static let formatVersion = 1

    public static func render(_ plan: Plan) -> String {
        let document = Document(
            formatVersion: formatVersion,
            changes: plan.changes.map { change in
                Change(
                    host: change.host, dn: change.dn, mode: change.mode.rawValue,
                    add: change.add.map(\.value), remove: change.remove.map(\.value),
                    userAccountControl: change.userAccountControl.map { uac in
                        UAC(from: Int(Int32(bitPattern: uac.from.rawValue)), to: Int(Int32(bitPattern: uac.to.rawValue)),
                            fromFlags: uac.from.flagNames, toFlags: uac.to.flagNames,
                            setFlags: uac.added.flagNames, clearedFlags: uac.removed.flagNames)
                    },
                    securityFix: change.removesUnconstrainedDelegation)
            },
            unchanged: plan.unchanged,
            warnings: plan.warnings.map { Warning(subject: $0.subject, message: $0.message) },
            summary: plan.summary)
        return encode(document)
    }

    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain value types cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
    }

    struct Document: Encodable {
        var formatVersion: Int
        var changes: [Change]
        var unchanged: [String]
        var warnings: [Warning]
        var summary: Plan.Summary
    }

    struct Change: Encodable {
        var host: String
        var dn: String
        var mode: String
        var add: [String]
        var remove: [String]
        var userAccountControl: UAC?
        var securityFix: Bool
    }

    struct UAC: Encodable {
        var from: Int
        var to: Int
        var fromFlags: [String]
        var toFlags: [String]
        var setFlags: [String]
        var clearedFlags: [String]
    }

    struct Warning: Encodable {
        var subject: String
        var message: String
    }
}
