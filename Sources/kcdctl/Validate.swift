import ArgumentParser
import KCDCore

extension Kcdctl {
    struct Validate: KcdctlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a manifest without contacting the directory.")

        @OptionGroup var manifest: ManifestOption

        func execute() throws -> Int32 {
            let m = try ManifestLoader.load(path: manifest.file)
            // How many values the manifest declares does not depend on the DNS suffix.
            let values = DesiredState.expand(m, domain: "").hosts.reduce(0) { $0 + $1.targets.count }
            Terminal.out("\(manifest.file): valid: \(m.clusters.count) cluster\(m.clusters.count == 1 ? "" : "s"), \(m.hosts.count) host\(m.hosts.count == 1 ? "" : "s"), \(values) delegation values declared.\n")
            return 0
        }
    }
}
