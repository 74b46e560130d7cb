import Foundation

/// What `apply PLAN.json` accepts of a saved plan, decided before anything is written (the rules that need the
/// directory, staleness and the write invariant, are `Reconciliation.apply`'s). Every refusal ends with
/// "nothing was written".
extension PlanDocument {
    /// A manifest given with -f must be the one the plan was made from (the same bytes).
    public func checkManifest(_ manifest: Manifest, path: String) throws {
        guard manifest.sha256 == self.manifest.sha256 else {
            throw PlanDocumentError(
                "\(path) is not the manifest the plan was made from (sha256 \(manifest.sha256 ?? "?") ≠ \(self.manifest.sha256)): make a new plan; nothing was written"
            )
        }
    }

    /// The directory the plan is applied to (after --uri, --base-dn and the environment) must be the one it
    /// was made against: the URI compared case-insensitively, the base DN by its RDNs, spaces and case aside.
    /// With `uri` nil (the DC was discovered through DNS), only the base DN is compared: any DC of the domain.
    public func checkDirectory(uri: String?, baseDN: String) throws {
        func rdns(_ dn: String) -> [String] {
            dn.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        let sameDC = uri.map { directory.uri.lowercased() == $0.lowercased() } ?? true
        guard sameDC, rdns(directory.baseDN) == rdns(baseDN) else {
            throw PlanDocumentError(
                "the plan is for \(directory.uri) (\(directory.baseDN)), not \(uri ?? "the domain") (\(baseDN)); nothing was written"
            )
        }
    }

    /// The plan, limited to `targets` (any case) when given: a staged rollout applies part of a saved plan.
    public func plan(limitedTo targets: [String]?) throws -> Plan {
        var plan = try self.plan
        if let targets {
            let wanted = Set(targets.map(ComputerName.init))
            plan.changes.removeAll { !wanted.contains(ComputerName($0.host)) }
        }
        return plan
    }

    /// The saved plan at `path`, refused when unreadable or tampered with, and with `maxAge` (seconds) when
    /// older than that or from the future (`show` shows any plan; `apply` applies only a recent one). Each
    /// refusal names the file.
    public static func load(_ path: String, maxAge: Double? = nil, now: Date = Date()) throws -> PlanDocument {
        do {
            let document = try decode(try RegularFile.read(path, what: "saved plan", limit: maximumFileSize))
            if let maxAge { try document.checkAge(now: now, maxAge: maxAge) }
            return document
        } catch let error as PlanDocumentError {
            throw UsageError("\(path): \(error)")
        }
    }

    /// `--max-age`: `24h`, `90m`, `3600s`, `2d`, or plain seconds; nil for anything else or a negative age.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value >= 0 {
            return value * factor
        }
        return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `--verify-key` and the manifest's `plans.verifyKey`: a saved plan (`saved`, read from `planPath`) must
    /// carry a signature each key verifies; with the manifest's key set, only saved plans are applied.
    public static func checkSignatures(
        _ saved: PlanDocument?, planPath: String?, verifyKey: String?, manifest: Manifest, manifestPath: String
    ) throws {
        let keys = [verifyKey, manifest.planVerifyKey].compactMap { $0 }
        guard !keys.isEmpty else { return }
        guard let saved else {
            throw UsageError(
                verifyKey != nil
                    ? "--verify-key checks a saved plan: run kcdctl apply PLAN.json"
                    : "plans.verifyKey in \(manifestPath): apply takes only signed saved plans "
                        + "(kcdctl plan --out PLAN.json --sign-key KEY, then kcdctl apply PLAN.json); nothing was written"
            )
        }
        for path in keys {
            let key = try PlanVerifyingKey(file: path)
            do {
                try saved.verifySignature(with: key)
            } catch let error as PlanSignatureError {
                throw UsageError("\(planPath ?? "the plan"): \(error); nothing was written")
            }
        }
    }
}

extension PlanVerifyingKey {
    /// The public key in the PEM file at `path`; a file that holds none is named in the error.
    public init(file path: String) throws {
        let bytes = try RegularFile.read(path, what: "plan verification key", limit: 64 << 10)
        let pem = String(decoding: bytes, as: UTF8.self)
        do {
            try self.init(pem: pem)
        } catch let error as PlanSignatureError {
            throw UsageError("\(path): \(error)")
        }
    }
}
