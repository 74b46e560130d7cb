import Foundation
import KCDCore

/// Any bytes as a saved plan (`apply PLAN.json`). Two paths per input:
///  1. `PlanDocument.decode` as `apply` calls it. What it accepts must turn into a `Plan` or a thrown error, and
///     must read back the same after `encoded()` (a saved plan that kcdctl cannot re-read would be a bug).
///  2. A SHA-256 is no secret: whoever edits a plan can recompute it. So if the input is JSON that decodes as a
///     plan document at all, it is sealed again as kcdctl would (signature dropped, the manifest's and the
///     document's SHA-256 recomputed) and decoded, so that the checks after the checksum meet hostile content.
///     This path uses only public API and JSON, so it does not depend on the format's details; when the seal is
///     more than that, it is refused and nothing is lost.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let document = try? PlanDocument.decode(bytes) {
        _ = try? document.plan
        _ = document.createdDate
        let again = Array(document.encoded().utf8)
        guard let reread = try? PlanDocument.decode(again) else {
            fatalError(
                "a plan that decode accepted is refused after encoded(): \(String(decoding: again, as: UTF8.self))")
        }
        guard reread == document else { fatalError("a plan reads back different after encoded()") }
    }
    if let sealed = resealed(bytes), let document = try? PlanDocument.decode(sealed) {
        _ = try? document.plan
        _ = document.createdDate
    }
    return 0
}

/// `bytes` as kcdctl would have written the document they decode to, or nil when they decode to none.
func resealed(_ bytes: [UInt8]) -> [UInt8]? {
    guard let document = try? JSONDecoder().decode(PlanDocument.self, from: Data(bytes)),
        let json = try? JSONEncoder().encode(document),
        var object = try? JSONSerialization.jsonObject(with: json) as? [String: Any]
    else { return nil }
    object["sha256"] = nil
    object["signature"] = nil
    if var manifest = object["manifest"] as? [String: Any], let content = manifest["content"] as? String {
        manifest["sha256"] = sha256(Array(content.utf8))
        object["manifest"] = manifest
    }
    guard let bodyJSON = try? JSONSerialization.data(withJSONObject: object),
        var body = try? JSONDecoder().decode(PlanDocument.self, from: bodyJSON)
    else { return nil }
    body.sha256 = nil
    // `encoded()` is the checksummed encoding plus a newline.
    body.sha256 = sha256(Array(body.encoded().utf8.dropLast()))
    return Array(body.encoded().utf8)
}
