import KCDCore
@_spi(Testing) import KCDLDAP

/// The value encoder of a modify request: every value must reach libldap as exactly its own bytes (NUL and all),
/// and an attribute name that libldap would cut at a NUL must be refused, not sent.
///
/// Input: the first byte chooses the attribute (even: msDS-AllowedToDelegateTo, odd: the name is the bytes up to
/// the first 0xFF), the rest are values separated by 0xFF (never part of UTF-8, so a value is any other bytes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = UnsafeBufferPointer(start: data, count: size)[...]
    guard let selector = input.popFirst() else { return 0 }
    var parts = input.split(separator: 0xFF, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    var attribute = "msDS-AllowedToDelegateTo"
    if selector & 1 == 1 { attribute = parts.isEmpty ? "" : parts.removeFirst() }
    let modifications = [
        AttributeOperation(.add, attribute, parts),
        AttributeOperation(.delete, attribute, parts.reversed()),
    ]
    let encoded: [[[UInt8]]]
    do {
        encoded = try AttributeOperation.encodedValues(modifications)
    } catch {
        guard attribute.utf8.contains(0) else {
            fatalError("encodedValues refused attribute \(Array(attribute.utf8)): \(error)")
        }
        return 0
    }
    if attribute.utf8.contains(0) { fatalError("an attribute name with a NUL was accepted: \(Array(attribute.utf8))") }
    let expected = modifications.map { $0.values.map { Array($0.utf8) } }
    guard encoded == expected else {
        fatalError("values went out as other bytes: \(expected) became \(encoded)")
    }
    return 0
}
