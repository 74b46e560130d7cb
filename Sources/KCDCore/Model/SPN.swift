/// A service principal name, `serviceclass/host[:port][/servicename]`.
///
/// Active Directory compares SPNs case-insensitively, and so does this type: `CIFS/hv02` equals `cifs/HV02`,
/// and a `Set<SPN>` holds one of them. `value` keeps the spelling it was made with, because a value-level
/// LDAP delete must name the stored string exactly.
public struct SPN: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String
    /// The comparison key: `value` lowercased.
    public let key: String

    public init(_ value: String) {
        self.value = value
        self.key = value.asciiFastLowercased()
    }

    public init(service: String, host: String) {
        self.init("\(service)/\(host)")
    }

    /// Everything before the first `/`, e.g. `cifs` or `Microsoft Virtual System Migration Service`.
    public var serviceClass: Substring {
        value.prefix { $0 != "/" }
    }

    /// The host part: after the first `/`, up to a `:port` or a second `/`.
    public var host: Substring {
        guard let slash = value.firstIndex(of: "/") else { return "" }
        return value[value.index(after: slash)...].prefix { $0 != "/" && $0 != ":" }
    }

    /// The service class lowercased, or nil when it is not pure ASCII: a value whose class only Unicode case
    /// folding would make equal to a managed one (`\u{212A}` KELVIN SIGN lowercases to `k`) is never managed.
    public var asciiServiceClass: String? {
        let serviceClass = self.serviceClass
        guard serviceClass.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(serviceClass).asciiFastLowercased()
    }

    /// The same SPN under another service class, e.g. `cifs/HV02` → `HOST/HV02`.
    public func replacingServiceClass(with serviceClass: String) -> SPN {
        SPN(serviceClass + value.dropFirst(self.serviceClass.count))
    }

    /// The longest SPN accepted (AD's own limits are looser; nothing real comes near this).
    public static let maximumLength = 512

    /// Why `value` is not a usable SPN, or nil when it is: `serviceclass/host[:port][/servicename]` in
    /// printable ASCII, with no white space except single spaces inside the service class (as in
    /// `Microsoft Virtual System Migration Service`).
    public static func problem(with value: String) -> String? {
        let shown = Printable.quoted(value)
        guard value.utf8.count <= maximumLength else {
            return "\(shown) is \(value.utf8.count) bytes long; an SPN may have at most \(maximumLength)"
        }
        guard Printable.isPrintableASCII(value) else {
            return "\(shown) has a control character, NUL or non-ASCII character; SPNs are printable ASCII"
        }
        let spn = SPN(value)
        if spn.serviceClass.isEmpty || !value.contains("/") {
            return "\(shown) is not an SPN: expected serviceclass/host, e.g. http/web01.corp.example.com"
        }
        if let problem = serviceClassProblem(String(spn.serviceClass)) { return problem }
        if spn.host.isEmpty { return "\(shown) has no host after the service class" }
        if value.dropFirst(spn.serviceClass.count).contains(" ") {
            return "\(shown) has a space after the service class"
        }
        return nil
    }

    /// Why `name` is not a service class (`cifs`, `Microsoft Virtual System Migration Service`), or nil.
    public static func serviceClassProblem(_ name: String) -> String? {
        let shown = Printable.quoted(name)
        if name.contains("/") { return "\(shown) is a service class, not an SPN: drop everything from the '/'" }
        guard name.utf8.count <= 64 else { return "\(shown) is longer than 64 bytes, too long for a service class" }
        guard Printable.isPrintableASCII(name) else {
            return "service class \(shown) has a control character, NUL or non-ASCII character"
        }
        if name.hasPrefix(" ") || name.hasSuffix(" ") || name.contains("  ") {
            return "service class \(shown) has leading, trailing or repeated spaces"
        }
        return nil
    }

    public static func == (lhs: SPN, rhs: SPN) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
    public static func < (lhs: SPN, rhs: SPN) -> Bool { lhs.key < rhs.key }
    public var description: String { value }
}

extension String {
    /// `lowercased()`, without its Unicode machinery for the ASCII strings SPNs nearly always are.
    func asciiFastLowercased() -> String {
        var upper = false
        for byte in utf8 {
            if byte >= 0x80 { return lowercased() }
            if byte >= 0x41 && byte <= 0x5A { upper = true }
        }
        guard upper else { return self }
        return String(unsafeUninitializedCapacity: utf8.count) { buffer in
            var i = 0
            for byte in utf8 {
                buffer[i] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                i += 1
            }
            return i
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
