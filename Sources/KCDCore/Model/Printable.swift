/// Text from files people edit and from the directory, made safe to show: every byte that is not printable
/// ASCII (control characters, NUL, DEL, escape sequences) and the backslash itself become visible escapes,
/// so a value can never move the cursor, recolor a terminal or hide part of itself.
public enum Printable {
    /// `cifs\nhttp` → `cifs\x0ahttp`; printable ASCII stays as it is; other Unicode scalars print as `\u{…}`.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 > 0x7E || $0 == 0x5C }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0..<0x80: out += "\\x" + hex(scalar.value, width: 2)
            default: out += "\\u{" + hex(scalar.value, width: 4) + "}"
            }
        }
        return out
    }

    /// `'text'`, escaped and cut to `limit` characters: how a rejected input is named in a message, so that a
    /// 100 MB host name or an escape sequence never reaches the terminal whole.
    public static func quoted(_ text: String, limit: Int = 64) -> String {
        let cut = text.unicodeScalars.count > limit
        var head = String.UnicodeScalarView()
        head.append(contentsOf: text.unicodeScalars.prefix(limit))
        return "'" + escape(String(head)) + (cut ? "…' (\(text.utf8.count) bytes)" : "'")
    }

    /// Whether `text` has a control character (C0, DEL or C1), NUL included.
    public static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// Whether `text` is printable ASCII only (no control character, NUL or DEL).
    public static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
