// swift-tools-version:6.0
// `make fuzz` (Fuzz/run.sh): coverage-guided fuzzing (libFuzzer) of every parser of hostile input. A package of
// its own so that only these targets and what they use are built with -sanitize=fuzzer,address.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name: the repository's folder, whatever a checkout calls it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// One libFuzzer binary: a module that defines LLVMFuzzerTestOneInput and no main (libFuzzer brings main).
func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: root) },
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "kcdctl-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        fuzzer("fuzz-manifest", ["KCDCore"]),
        fuzzer("fuzz-plan", ["KCDCore"]),
        fuzzer("fuzz-range", ["KCDLDAP"]),
        fuzzer("fuzz-values", ["KCDLDAP"]),
        fuzzer("fuzz-certificate", ["KCDLDAP"]),
    ]
)
