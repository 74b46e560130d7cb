// C memory for the arguments of one libldap call.
internal import CLDAP
import Foundation
import KCDCore

/// C memory for one libldap call (attribute lists, LDAPMod arrays, bervals): libldap keeps no pointer into
/// them after a synchronous call returns, so the owner frees everything when it goes away.
final class CAllocations {
    private var pointers: [UnsafeMutableRawPointer] = []

    deinit {
        for p in pointers { free(p) }
    }

    /// A NUL-terminated copy, for the parameters libldap reads as C strings (DNs, filters, attribute names).
    /// A string with a NUL inside would reach the server cut short, so it is refused.
    func string(_ s: String) throws -> UnsafeMutablePointer<CChar> {
        let bytes = Array(s.utf8)
        guard !bytes.contains(0) else {
            throw LDAPError(
                code: .paramError, operation: "encode a request",
                diagnostic: "refusing a DN, filter or attribute name with a NUL byte inside: '\(Printable.escape(s))'")
        }
        let p = copy(bytes, terminated: true)
        return p.assumingMemoryBound(to: CChar.self)
    }

    /// A value as LDAP carries it: its bytes and their count, whatever they are (NUL included).
    func berval(_ value: String) -> UnsafeMutablePointer<CLDAP.berval> {
        berval(bytes: Array(value.utf8))
    }

    /// Bytes as LDAP carries them, with their count as the length (never up to a NUL).
    func berval(bytes: [UInt8]) -> UnsafeMutablePointer<CLDAP.berval> {
        let bv = array(of: CLDAP.berval.self, count: 1)
        bv.pointee = CLDAP.berval(
            bv_len: ber_len_t(bytes.count),
            bv_val: copy(bytes, terminated: false).assumingMemoryBound(to: CChar.self))
        return bv
    }

    func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let p = calloc(max(count, 1), MemoryLayout<T>.stride)!
        pointers.append(p)
        return p.bindMemory(to: T.self, capacity: count)
    }

    /// A NULL-terminated `char **`.
    func stringList(_ strings: [String]) throws -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let list = array(of: UnsafeMutablePointer<CChar>?.self, count: strings.count + 1)
        for (i, s) in strings.enumerated() { list[i] = try string(s) }
        list[strings.count] = nil
        return list
    }

    /// The NULL-terminated `LDAPMod **` of one modify request, every value an explicit-length berval: a text
    /// value's UTF-8 bytes, a binary operation's values decoded from base64. A value of a binary operation that
    /// is not base64 refuses the whole request, before anything is sent.
    func modifications(
        _ modifications: [AttributeOperation]
    ) throws -> UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?> {
        let mods = array(of: UnsafeMutablePointer<LDAPMod>?.self, count: modifications.count + 1)
        for (i, m) in modifications.enumerated() {
            let values = array(of: UnsafeMutablePointer<CLDAP.berval>?.self, count: m.values.count + 1)
            for (j, v) in m.values.enumerated() {
                values[j] = m.binary ? berval(bytes: try Self.decodedBinary(v, index: j, of: m)) : berval(v)
            }
            let mod = array(of: LDAPMod.self, count: 1)
            mod.pointee.mod_op = (m.kind == .add ? LDAP_MOD_ADD : LDAP_MOD_DELETE) | LDAP_MOD_BVALUES
            mod.pointee.mod_type = try string(m.attribute)
            mod.pointee.mod_vals.modv_bvals = values
            mods[i] = mod
        }
        return mods
    }

    /// The bytes of value `index` of a binary operation, from its base64.
    static func decodedBinary(_ value: String, index: Int, of operation: AttributeOperation) throws -> [UInt8] {
        guard let data = Data(base64Encoded: value) else {
            throw LDAPError(
                code: .paramError, operation: "encode a request",
                diagnostic:
                    "value \(index + 1) of the \(operation.kind) of \(Printable.escape(operation.attribute)) is binary but not base64: \(Printable.quoted(value))"
            )
        }
        return Array(data)
    }

    private func copy(_ bytes: [UInt8], terminated: Bool) -> UnsafeMutableRawPointer {
        let p = malloc(bytes.count + (terminated ? 1 : 0) + 1)!
        pointers.append(p)
        bytes.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        if terminated { p.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self) }
        return p
    }
}

extension AttributeOperation {
    /// The bytes libldap would send for each value of `modifications`, read back through the C structures
    /// the request is built from (for the tests and the fuzzer of the value encoder).
    @_spi(Testing) public static func encodedValues(_ modifications: [AttributeOperation]) throws -> [[[UInt8]]] {
        try encodedRequest(modifications).map(\.values)
    }

    /// One `LDAPMod` of a request as libldap reads it.
    struct EncodedModification: Equatable {
        /// Nil for an operation other than LDAP_MOD_ADD and LDAP_MOD_DELETE.
        var kind: Kind?
        /// LDAP_MOD_BVALUES: the values are bervals (bytes and a length), not C strings.
        var bvalues: Bool
        var attribute: String
        /// Each value's `bv_len` bytes from `bv_val`.
        var values: [[UInt8]]
    }

    /// The request `modifications` become, read back from its C structures.
    static func encodedRequest(_ modifications: [AttributeOperation]) throws -> [EncodedModification] {
        let c = CAllocations()
        let mods = try c.modifications(modifications)
        var out: [EncodedModification] = []
        var i = 0
        while let mod = mods[i] {
            var values: [[UInt8]] = []
            var j = 0
            while let bv = mod.pointee.mod_vals.modv_bvals[j] {
                values.append(Array(UnsafeRawBufferPointer(start: bv.pointee.bv_val, count: Int(bv.pointee.bv_len))))
                j += 1
            }
            let op = mod.pointee.mod_op
            out.append(
                EncodedModification(
                    kind: [LDAP_MOD_ADD: .add, LDAP_MOD_DELETE: .delete][op & ~LDAP_MOD_BVALUES],
                    bvalues: op & LDAP_MOD_BVALUES != 0,
                    attribute: String(cString: mod.pointee.mod_type), values: values))
            i += 1
        }
        return out
    }
}
