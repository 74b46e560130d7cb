import Testing

@testable import KCDLDAP

@Suite struct RangeRetrieval {
    @Test(arguments: [
        (
            "msDS-AllowedToDelegateTo;range=0-1499",
            RangedAttribute?.some(.init("msds-allowedtodelegateto;range=0-1499")!)
        ),
        ("msds-allowedtodelegateto;range=1500-*", RangedAttribute("msds-allowedtodelegateto;range=1500-*")),
    ])
    func parsing(text: String, parsed: RangedAttribute?) throws {
        let r = try #require(RangedAttribute(text))
        #expect(r == parsed)
        #expect(r.name == "msds-allowedtodelegateto")
    }

    @Test func parts() {
        #expect(
            RangedAttribute("member;range=0-1499")
                == {
                    var r = RangedAttribute("x;range=0-1")!
                    r.name = "member"
                    r.end = 1499
                    return r
                }())
        #expect(RangedAttribute("member;range=1500-*")?.end == nil)
        #expect(RangedAttribute("member;range=1500-*")?.start == 1500)
        for bad in [
            "member", "member;range=", "member;range=a-b", "member;range=5-2", "member;range=-1-4", "member;range=3",
        ] {
            #expect(RangedAttribute(bad) == nil, "\(bad)")
        }
    }

    /// A server with 3,500 values that hands them out 1,500 at a time, as AD does.
    @Test func theLoopAsksForEachChunkUntilTheStar() throws {
        let all = (0..<3500).map { "cifs/H\($0)" }
        var asked: [String] = []
        let first: [String: [String]] = [
            "msds-allowedtodelegateto;range=0-1499": Array(all[0..<1500]), "samaccountname": ["HV01$"],
        ]
        let complete = try RangedAttribute.complete(first) { request in
            asked.append(request)
            let start = RangedAttribute(request)!.start
            let end = min(start + 1499, all.count - 1)
            let last = end == all.count - 1
            return ["msds-allowedtodelegateto;range=\(start)-\(last ? "*" : String(end))": Array(all[start...end])]
        }
        #expect(asked == ["msds-allowedtodelegateto;range=1500-*", "msds-allowedtodelegateto;range=3000-*"])
        #expect(complete["msds-allowedtodelegateto"] == all)
        #expect(complete["samaccountname"] == ["HV01$"])
        #expect(complete.keys.allSatisfy { !$0.contains(";range=") })
    }

    @Test func aServerThatStopsAnsweringIsAnErrorNotALoop() {
        #expect(throws: RangeRetrievalError.self) {
            try RangedAttribute.complete(["member;range=0-9": ["a"]]) { _ in [:] }
        }
        #expect(throws: RangeRetrievalError.self) {
            try RangedAttribute.complete(["member;range=0-9": ["a"]]) { _ in ["member;range=0-9": ["a"]] }
        }
    }
}
