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
        let bytes = Array(value.utf8)
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

    /// The NULL-terminated `LDAPMod **` of one modify request, every value an explicit-length berval.
    func modifications(
        _ modifications: [AttributeOperation]
    ) throws -> UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?> {
        let mods = array(of: UnsafeMutablePointer<LDAPMod>?.self, count: modifications.count + 1)
        for (i, m) in modifications.enumerated() {
            let values = array(of: UnsafeMutablePointer<CLDAP.berval>?.self, count: m.values.count + 1)
            for (j, v) in m.values.enumerated() { values[j] = berval(v) }
            let mod = array(of: LDAPMod.self, count: 1)
            mod.pointee.mod_op = (m.kind == .add ? LDAP_MOD_ADD : LDAP_MOD_DELETE) | LDAP_MOD_BVALUES
            mod.pointee.mod_type = try string(m.attribute)
            mod.pointee.mod_vals.modv_bvals = values
            mods[i] = mod
        }
        return mods
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
        let c = CAllocations()
        let mods = try c.modifications(modifications)
        var out: [[[UInt8]]] = []
        var i = 0
        while let mod = mods[i] {
            var values: [[UInt8]] = []
            var j = 0
            while let bv = mod.pointee.mod_vals.modv_bvals[j] {
                values.append(Array(UnsafeRawBufferPointer(start: bv.pointee.bv_val, count: Int(bv.pointee.bv_len))))
                j += 1
            }
            out.append(values)
            i += 1
        }
        return out
    }
}
