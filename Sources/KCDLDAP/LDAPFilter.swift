/// Building search filters from untrusted names.
public enum LDAPFilter {
    /// Escapes a value for an RFC 4515 filter: `*` `(` `)` `\` and NUL become `\2a` `\28` `\29` `\5c` `\00`,
    /// so a name like `HV01)(cn=*` matches only itself.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for ch in value.unicodeScalars {
            switch ch {
            case "*": out += "\\2a"
            case "(": out += "\\28"
            case ")": out += "\\29"
            case "\\": out += "\\5c"
            case "\0": out += "\\00"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A binary value (e.g. an `objectSid`) for an RFC 4515 filter: every byte as `\XX` (two lowercase hex
    /// digits), so any byte, NUL and the filter's special characters included, is matched as itself.
    public static func escape(bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(3 * bytes.count)
        for byte in bytes {
            out += [UInt8(ascii: "\\"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `(|(attr=v1)(attr=v2)…)`, each value escaped; a single value without the `|`.
    public static func anyOf(_ attribute: String, _ values: [String]) -> String {
        or(values.map { "(\(attribute)=\(escape($0)))" })
    }

    /// `(|(attr=\01\05…)(attr=…)…)` for binary values, every byte escaped; a single value without the `|`.
    public static func anyOf(_ attribute: String, binary values: [[UInt8]]) -> String {
        or(values.map { "(\(attribute)=\(escape(bytes: $0)))" })
    }

    private static func or(_ terms: [String]) -> String {
        terms.count == 1 ? terms[0] : "(|" + terms.joined() + ")"
    }
}
