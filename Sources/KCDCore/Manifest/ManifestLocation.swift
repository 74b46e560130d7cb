/// Which manifest a command reads when it is given none: `-f FILE`, else the `KCDCTL_MANIFEST` environment
/// variable, else the file the Debian package sets up, `/etc/kcdctl/kcdctl.yaml`.
public enum ManifestLocation {
    public static let defaultPath = "/etc/kcdctl/kcdctl.yaml"
    public static let variable = "KCDCTL_MANIFEST"

    /// The manifest named by `-f` or the environment, or nil when neither names one. (An empty variable
    /// names none.)
    public static func named(flag: String?, environment: [String: String]) -> String? {
        if let flag { return flag }
        if let path = environment[variable], !path.isEmpty { return path }
        return nil
    }

    /// The manifest to read: the one named, else the default.
    public static func resolve(flag: String?, environment: [String: String]) -> String {
        named(flag: flag, environment: environment) ?? defaultPath
    }

    /// The error when no manifest was named and the default does not exist: say where kcdctl looked.
    public static let notFound = UsageError(
        "no manifest: none named with -f FILE or \(variable), and \(defaultPath) does not exist")
}
