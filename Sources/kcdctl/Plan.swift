import ArgumentParser
import Foundation
import KCDCore

extension Kcdctl {
    struct Plan: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the minimal change that makes AD match the manifest. Writes nothing to AD.",
            discussion: "With --out, the plan is also saved for `kcdctl apply PLAN.json`, which applies exactly it.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json, markdown
        }

        @OptionGroup var manifest: ManifestOption
        @OptionGroup var directory: DirectoryOptions
        @OptionGroup var target: TargetOption
        @OptionGroup var detail: DetailOption

        @Option(
            help:
                "text, json or markdown (a table per cluster and each host's values folded, for a merge-request comment)."
        )
        var format: Format = .text

        @Option(
            name: .customLong("markdown-budget"),
            help: ArgumentHelp(
                "With --format markdown: the most characters to print; what does not fit is cut at a whole section, with a line that says so.",
                valueName: "CHARS"))
        var markdownBudget = PlanMarkdown.defaultBudget

        @Option(
            help: ArgumentHelp(
                "Also save the plan (JSON, see docs/plan-format.md) for `kcdctl apply PLAN.json`.",
                valueName: "PLAN.json"))
        var out: String?

        @Option(
            name: .customLong("sign-key"),
            help: ArgumentHelp(
                "Sign the saved plan (--out) with this Ed25519 private key (PEM, readable by its owner only; `kcdctl keygen` makes one).",
                valueName: "KEY"))
        var signKey: String?

        @Flag(
            name: .customLong("detailed-exitcode"),
            help: "Exit 0 when there is nothing to change, 2 when there is, 1 on error.")
        var detailedExitcode = false

        func validate() throws {
            if signKey != nil && out == nil {
                throw ValidationError("--sign-key signs a saved plan: add --out PLAN.json")
            }
            if markdownBudget < 1_000 { throw ValidationError("--markdown-budget must be at least 1000 characters") }
        }

        func execute() throws -> ExitStatus {
            let key = try signKey.map(Keys.signingKey)
            let session = try Session.open(manifest: try manifest.path(), directory)
            try session.manifest.checkTargets(target.targets)
            let plan = try session.reconciliation.plan(targets: target.targets)
            session.logCounters()
            // Only saved or JSON plans need the document (and its checksum over the whole encoding).
            var document = out != nil || format == .json ? session.document(plan, targets: target.targets) : nil
            if let key { try document?.sign(with: key) }
            if let out, let document {
                try AtomicFile.write(out, document.encoded())
            }
            switch format {
            case .json: Terminal.out(document!.encoded())
            case .markdown:
                Terminal.out(
                    PlanMarkdown.render(
                        plan, manifest: session.manifest, directory: "\(session.uri) (\(session.baseDN))",
                        budget: markdownBudget))
            case .text:
                Terminal.out(session.header)
                PlanText.write(plan, color: Terminal.color, detailed: detail.detailed, to: Terminal.out)
            }
            if let out, let document {
                let signed = document.signature.map { " signed by \($0.key)," } ?? ""
                Terminal.err(
                    "Saved the plan to \(out) (sha256 \(document.sha256 ?? ""),\(signed) made from \(session.manifestPath)); apply exactly it with `kcdctl apply \(out)`.\n"
                )
            }
            return detailedExitcode && !plan.isEmpty ? .differs : .success
        }
    }
}

extension Session {
    /// The plan with everything needed to apply it later and to tell what it was computed from.
    func document(_ plan: KCDCore.Plan, targets: [String]?) -> PlanDocument {
        PlanDocument(
            plan,
            .init(
                kcdctlVersion: BuildInfo.current.version, createdAt: Date(),
                manifestPath: URL(fileURLWithPath: manifestPath).standardizedFileURL.path,
                manifestSHA256: manifest.sha256 ?? "", manifestContent: manifest.source ?? "", uri: uri, baseDN: baseDN,
                targets: targets))
    }
}
