/// A problem with how kcdctl was called or configured, told in one line (`kcdctl: error: …`, exit 1). It lives
/// in the core because most of these are found by the core's decisions (settings resolution, --target, a saved
/// plan's acceptance), which unit tests reach without the command line.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
