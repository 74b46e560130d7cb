// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kcdctl",
    products: [
        .executable(name: "kcdctl", targets: ["kcdctl"]),
        // For the fuzzers in Fuzz/ (`make fuzz`), a package of their own that builds these with -sanitize=fuzzer.
        .library(name: "KCDCore", targets: ["KCDCore"]),
        .library(name: "KCDLDAP", targets: ["KCDLDAP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // SHA-256 and Ed25519 (plan checksums and signatures): maintained, fuzzed crypto instead of our own.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The names a DC's certificate carries, when TLS verification fails: maintained, fuzzed DER and X.509
        // parsing instead of our own (adds about 30 CPU-seconds to a clean build: X509 and _CryptoExtras).
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // The pure core: manifest, desired state, reconciler, plan and its renderings. No directory I/O.
        .target(
            name: "KCDCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // OpenLDAP's C client library, as Debian ships it (libldap2-dev).
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap2-dev", "libsasl2-dev"])]
        ),
        // MIT Kerberos and its GSSAPI (libkrb5-dev), for credentials from a keytab. No pkgConfig: krb5-gssapi.pc
        // adds `-isystem /usr/include/mit-krb5`, a flag SwiftPM drops with a warning on every build; libkrb5-dev
        // links the headers into /usr/include and the libraries into the linker's path, and the module map
        // links krb5 and gssapi_krb5 by name.
        .systemLibrary(name: "CKrb5"),
        // The edge to the directory: a safe wrapper over libldap and the Active Directory implementation of
        // KCDCore's Directory protocol. Every unsafe pointer stays in here.
        .target(
            name: "KCDLDAP",
            dependencies: [
                "KCDCore", "CLDAP", "CKrb5",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .executableTarget(
            name: "kcdctl",
            dependencies: [
                "KCDCore", "KCDLDAP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `make bench`: the pure reconcile on many hosts in memory.
        .executableTarget(name: "kcdctl-bench", dependencies: ["KCDCore"]),
        // Golden/: review outputs the tests compare against (read by path, not bundled).
        .testTarget(name: "KCDCoreTests", dependencies: ["KCDCore"], exclude: ["Golden"]),
        .testTarget(name: "KCDLDAPTests", dependencies: ["KCDLDAP"]),
        // Against the Samba AD DC that `make test` starts (Tests/dc/dc-up.sh); they also run the built kcdctl.
        .testTarget(name: "IntegrationTests", dependencies: ["KCDCore", "KCDLDAP"]),
        // Against two replicating Samba AD DCs in a network namespace (`make test-multidc`, Tests/dc/multi-dc-up.sh).
        .testTarget(name: "MultiDCTests", dependencies: ["KCDCore", "KCDLDAP"]),
    ]
)
