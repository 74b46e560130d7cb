import Foundation

/// C memory for one libldap call (attribute lists, LDAPMod arrays, bervals): libldap keeps no pointer into
/// them after a synchronous call returns, so the owner frees everything when it goes away.
final class CAllocations {
    private var pointers: [UnsafeMutableRawPointer] = []

    deinit {
        for p in pointers { free(p) }
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        pointers.append(p)
        return p
    }

    func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let p = calloc(max(count, 1), MemoryLayout<T>.stride)!
        pointers.append(p)
        return p.bindMemory(to: T.self, capacity: count)
    }

    /// A NULL-terminated `char **`.
    func stringList(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let list = array(of: UnsafeMutablePointer<CChar>?.self, count: strings.count + 1)
        for (i, s) in strings.enumerated() { list[i] = string(s) }
        list[strings.count] = nil
        return list
    }
}
