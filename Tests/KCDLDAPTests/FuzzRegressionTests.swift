import Testing

@testable import KCDLDAP

/// What `make fuzz` (Fuzz/, issue 9) found in the LDAP edge. Each test holds the fuzzer's input inline.
@Suite struct FuzzRegressions {
    /// fuzz-range, crash-55023e0c08738b0ea09d9eb6d90a2f194248e481: a first chunk ending at Int.max made
    /// `complete` compute `end + 1` for the next request: an arithmetic-overflow trap, so any directory (or anyone
    /// in the middle of an unsigned ldap:// connection) could end kcdctl by sending one attribute description.
    /// Input: `member;range=0000000000000000000000000-9223372036854775807\nme\u{FF}\u{FF}\u{FF}\u{FF}mber;range=@-*|z`
    /// (first answer `member;range=0…0-9223372036854775807`; the fake server's chunk is never reached).
    @Test func aChunkEndingAtIntMaxIsAnErrorNotATrap() {
        let description = "member;range=0000000000000000000000000-9223372036854775807"
        #expect(
            RangedAttribute(description)
                == {
                    var r = RangedAttribute("member;range=0-1")!
                    r.end = Int.max
                    return r
                }())
        var asked: [String] = []
        #expect(throws: RangeRetrievalError.self) {
            try RangedAttribute.complete([description: ["first:0"]]) { request in
                asked.append(request)
                return ["member;range=\(RangedAttribute(request)!.start)-*": ["z"]]
            }
        }
        #expect(asked == [])
    }

    /// fuzz-range (its hostile fake server; the seed `msds-allowedtodelegateto;range=0-1499` alone): a server
    /// that answers every request with a well-formed but empty chunk (`name;range=N-N`, no values) kept
    /// `complete` asking, once per chunk, until the range reached Int.max: a loop without end, driven by the server.
    @Test func aServerThatAnswersEmptyChunksIsAnErrorNotAnEndlessLoop() {
        var fetches = 0
        #expect(throws: RangeRetrievalError.self) {
            try RangedAttribute.complete(["msds-allowedtodelegateto;range=0-1499": ["cifs/HV02"]]) { request in
                fetches += 1
                // Bounded here so that a regression fails instead of hanging the suite.
                guard fetches < 100 else { return [:] }
                let start = RangedAttribute(request)!.start
                return ["msds-allowedtodelegateto;range=\(start)-\(start)": []]
            }
        }
        #expect(fetches == 1)
        #expect(throws: RangeRetrievalError.self) {
            try RangedAttribute.complete(["member;range=0-0": []]) { _ in ["member;range=1-*": ["x"]] }
        }
    }

    /// A chunk that holds values keeps the loop going, as AD's and Samba's do.
    @Test func chunksWithValuesStillReadToTheEnd() throws {
        let all = try RangedAttribute.complete(["member;range=0-1": ["a", "b"]]) { request in
            let start = RangedAttribute(request)!.start
            return start == 2 ? ["member;range=2-2": ["c"]] : ["member;range=\(start)-*": ["d"]]
        }
        #expect(all == ["member": ["a", "b", "c", "d"]])
    }
}
