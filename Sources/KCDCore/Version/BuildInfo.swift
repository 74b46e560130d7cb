/// Which kcdctl this is: what `kcdctl --version` prints, the `kcdctlVersion` that plan documents and audit
/// records carry, and the version a saved plan is checked against before it is applied (docs/compatibility.md).
///
/// One place. A plain `swift build` of a fresh clone is `unstamped`: the version under development, no commit,
/// no date. `make` stamps every build it makes (`packaging/stamp.sh` writes `BuildStamp.generated.swift` beside
/// this file, ignored by git, only when its content changes): `make release VERSION=x.y.z`, `make deb` and
/// `make install` with the release's version, the commit and the build date from `SOURCE_DATE_EPOCH` (the
/// commit's time, so that the same commit gives the same binary); `make build` and `make test` with
/// `git describe` and the commit's date.
public struct BuildInfo: Sendable, Equatable {
    /// The version under development, between releases: set to the next version's `-dev` after each release.
    public static let unstamped = BuildInfo(version: "0.2.0-dev", commit: nil, date: nil)

    /// This build: its stamp, or `unstamped`.
    public static let current: BuildInfo = BuildStamp.stamp ?? unstamped

    /// A semantic version (`0.2.0`, `0.2.0-dev`, `0.2.0-3-g1a2b3c4-dirty` from `git describe`).
    public var version: String
    /// The commit built (40 hex digits, `-dirty` when the work tree had changes), nil when unknown.
    public var commit: String?
    /// When it was built, ISO 8601 UTC: `SOURCE_DATE_EPOCH`, i.e. the commit's time; nil when unknown.
    public var date: String?

    public init(version: String, commit: String?, date: String?) {
        (self.version, self.commit, self.date) = (version, commit, date)
    }

    /// `kcdctl --version`, one line whose second word is the version:
    /// `kcdctl 0.2.0 (commit 1a2b…, built 2026-11-26T09:00:00Z)`.
    public var versionLine: String {
        "kcdctl \(version) (commit \(commit ?? "unknown"), built \(date ?? "unknown"))"
    }
}

/// How a stamp overrides `unstamped` without a compiler flag (so that a fresh clone builds as it is, and the
/// debug and release builds never differ in flags): `BuildStamp.generated.swift` declares
/// `extension BuildStamp { static var stamp: BuildInfo? { … } }`, which the compiler prefers to this protocol's
/// default, as a type's own member is preferred to a protocol extension's. Without that file, the default: nil.
protocol BuildStamping {
    static var stamp: BuildInfo? { get }
}

extension BuildStamping {
    static var stamp: BuildInfo? { nil }
}

enum BuildStamp: BuildStamping {}
