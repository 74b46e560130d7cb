import KCDLDAP

/// Range retrieval against a hostile directory. The input is lines (split on '\n'):
///   line 0: attribute descriptions of the first answer, separated by ','
///   every further line: one answer of the fake server, attributes separated by a tab, each `DESCRIPTION|v1|v2|…`
///   (a field without '|' is no attribute); an `@` in a description becomes the first value asked for, so that
///   the fuzzer can follow the protocol without guessing numbers.
/// The first answer gives each of its descriptions the values `first:<n>`. The fake server answers each fetch with
/// the next scripted answer (at most `maximumScriptedAnswers` of them); after those it turns hostile for good and answers
/// every request with a well-formed chunk that holds no value, forever. `complete` must end (return or throw) no
/// later than one fetch after the script ran out, and every value it returns must be one the server did send (in the first answer or a chunk it handed out).
let maximumScriptedAnswers = 64

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for line in lines {
        if let r = RangedAttribute(line) {
            guard r.start >= 0, r.end.map({ $0 >= r.start }) ?? true, !r.name.contains(";range=") else {
                fatalError("RangedAttribute(\(line.debugDescription)) = \(r)")
            }
        }
    }
    guard !lines.isEmpty else { return 0 }
    let head = lines.removeFirst()
    var first: [String: [String]] = [:]
    for (n, description) in head.split(separator: ",").enumerated() {
        first[String(description), default: []].append("first:\(n)")
    }
    var sent = Set(first.values.joined())
    var chunks: [[(String, [String])]] = lines.prefix(maximumScriptedAnswers).map { line in
        line.split(separator: "\t").compactMap { attribute in
            let fields = attribute.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return fields.count > 1 ? (fields[0], Array(fields.dropFirst())) : nil
        }
    }
    chunks.reverse()
    let scripted = chunks.count
    var fetches = 0
    let result: [String: [String]]
    do {
        result = try RangedAttribute.complete(first) { request in
            fetches += 1
            guard fetches <= scripted + 1 else {
                fatalError(
                    "complete() asked for chunk \(fetches) of a server that answers only empty chunks: an endless loop")
            }
            guard let asked = RangedAttribute(request), asked.end == nil else {
                fatalError("complete() asked for \(request.debugDescription), not for the rest of a range")
            }
            guard let chunk = chunks.popLast() else {
                return ["\(asked.name);range=\(asked.start)-\(asked.start)": []]
            }
            var answer: [String: [String]] = [:]
            for (description, values) in chunk {
                answer[description.replacingOccurrences(of: "@", with: String(asked.start)), default: []] += values
                sent.formUnion(values)
            }
            return answer
        }
    } catch {
        return 0
    }
    for (key, values) in result {
        guard RangedAttribute(key) == nil else {
            fatalError("complete() returned a ranged key \(key.debugDescription)")
        }
        for value in values where !sent.contains(value) {
            fatalError("complete() returned \(value.debugDescription) for \(key), which no chunk held")
        }
    }
    return 0
}
