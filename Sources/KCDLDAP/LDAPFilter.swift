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

    /// `(|(attr=v1)(attr=v2)…)`, each value escaped; a single value without the `|`.
    public static func anyOf(_ attribute: String, _ values: [String]) -> String {
        let terms = values.map { "(\(attribute)=\(escape($0)))" }
        return terms.count == 1 ? terms[0] : "(|" + terms.joined() + ")"
    }
}
