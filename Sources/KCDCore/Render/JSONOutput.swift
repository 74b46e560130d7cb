import Foundation

/// The one JSON encoding of every output: keys sorted, slashes unescaped; pretty for documents people read
/// (plans, doctor and verify reports), one line for records appended to a log.
public enum JSONOutput {
    public static func encode(_ value: some Encodable, pretty: Bool = true) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// A document of plain strings, numbers, booleans and arrays, which cannot fail to encode, as text
    /// ending in a newline.
    public static func text(_ value: some Encodable) -> String {
        // swift-format-ignore: NeverUseForceTry
        String(decoding: try! encode(value), as: UTF8.self) + "\n"
    }
}
