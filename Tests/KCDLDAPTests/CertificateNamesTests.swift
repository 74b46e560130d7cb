import Foundation
import Testing
@testable import KCDLDAP

/// A self-signed public certificate (no key kept) for CN=dc01.corp.example.com with SANs
/// DNS:dc01.corp.example.com, DNS:*.dc.corp.example.com, IP:10.1.2.3, IP:::1.
let testCertificate = Array(Data(base64Encoded: """
    MIICFTCCAbygAwIBAgIULY136REzqW/drl2RVhioI5pbHxgwCgYIKoZIzj0EAwIwNzEVMBMGA1UECgwMa2NkY3RsIHRlc3RzMR4wHAYDVQQDDBVkYzAx\
    LmNvcnAuZXhhbXBsZS5jb20wHhcNMjYxMTI1MTU1MjQ1WhcNMzYxMTIyMTU1MjQ1WjA3MRUwEwYDVQQKDAxrY2RjdGwgdGVzdHMxHjAcBgNVBAMMFWRj\
    MDEuY29ycC5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABK7wX57KF7rUfZJ/Y9ws1JAscfblWf4AzJq0VmlioddrP/lEFd8FqRs7\
    Kb1p4Uspi+qNi+fDpIMoQO0IJeCX82OjgaUwgaIwHQYDVR0OBBYEFJf2oGe4A1mV+2W4vRLLTD6EZQ6XMB8GA1UdIwQYMBaAFJf2oGe4A1mV+2W4vRLL\
    TD6EZQ6XMA8GA1UdEwEB/wQFMAMBAf8wTwYDVR0RBEgwRoIVZGMwMS5jb3JwLmV4YW1wbGUuY29tghUqLmRjLmNvcnAuZXhhbXBsZS5jb22HBAoBAgOH\
    EAAAAAAAAAAAAAAAAAAAAAEwCgYIKoZIzj0EAwIDRwAwRAIgFFPVIcOQAN3cXpQmnKGYO260rBVRAyB+EidmzS8lGX0CIFTNDRrLeI8vmjca76nib/FY\
    +y6ESiKD8neA3aTnY700
    """)!)

@Suite struct Certificates {
    @Test func namesAreRead() throws {
        let names = try #require(CertificateNames(der: testCertificate))
        #expect(names.commonName == "dc01.corp.example.com")
        #expect(names.dnsNames == ["dc01.corp.example.com", "*.dc.corp.example.com"])
        #expect(names.ipAddresses == ["10.1.2.3", "0:0:0:0:0:0:0:1"])
        #expect(names.summary == "CN=dc01.corp.example.com, DNS:dc01.corp.example.com, DNS:*.dc.corp.example.com, IP:10.1.2.3, IP:0:0:0:0:0:0:0:1")
    }

    @Test(arguments: [
        ("dc01.corp.example.com", true), ("DC01.CORP.example.com", true), ("10.1.2.3", true),
        ("dc02.dc.corp.example.com", true), ("a.b.dc.corp.example.com", false), ("dc01", false), ("localhost", false),
    ])
    func hostMatching(host: String, matches: Bool) throws {
        #expect(try #require(CertificateNames(der: testCertificate)).matches(host: host) == matches)
    }

    @Test func commonNameCountsOnlyWithoutSANs() {
        #expect(CertificateNames(commonName: "dc1", dnsNames: [], ipAddresses: []).matches(host: "dc1"))
        #expect(!CertificateNames(commonName: "dc1", dnsNames: ["other"], ipAddresses: []).matches(host: "dc1"))
    }

    @Test func truncatedOrGarbageIsNil() {
        for cut in [0, 1, 10, 100, testCertificate.count - 1] {
            #expect(CertificateNames(der: Array(testCertificate.prefix(cut))) == nil, "cut at \(cut)")
        }
        #expect(CertificateNames(der: [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]) == nil)
    }

    @Test func hostOfURI() {
        #expect(LDAPConnection.host(of: "ldaps://dc1.corp.example.com:636/") == "dc1.corp.example.com")
        #expect(LDAPConnection.host(of: "ldap://[::1]:389") == "::1")
        #expect(LDAPConnection.host(of: "ldaps://10.0.0.1") == "10.0.0.1")
    }
}
