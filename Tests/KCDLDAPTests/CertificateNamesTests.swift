import Foundation
import Testing

@testable import KCDLDAP

/// A self-signed public certificate (no key kept) for CN=dc01.corp.example.com with SANs
/// DNS:dc01.corp.example.com, DNS:*.dc.corp.example.com, IP:10.1.2.3, IP:::1.
let testCertificate = Array(
    Data(
        base64Encoded: """
            MIICFTCCAbygAwIBAgIULY136REzqW/drl2RVhioI5pbHxgwCgYIKoZIzj0EAwIwNzEVMBMGA1UECgwMa2NkY3RsIHRlc3RzMR4wHAYDVQQDDBVkYzAx\
            LmNvcnAuZXhhbXBsZS5jb20wHhcNMjYxMTI1MTU1MjQ1WhcNMzYxMTIyMTU1MjQ1WjA3MRUwEwYDVQQKDAxrY2RjdGwgdGVzdHMxHjAcBgNVBAMMFWRj\
            MDEuY29ycC5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABK7wX57KF7rUfZJ/Y9ws1JAscfblWf4AzJq0VmlioddrP/lEFd8FqRs7\
            Kb1p4Uspi+qNi+fDpIMoQO0IJeCX82OjgaUwgaIwHQYDVR0OBBYEFJf2oGe4A1mV+2W4vRLLTD6EZQ6XMB8GA1UdIwQYMBaAFJf2oGe4A1mV+2W4vRLL\
            TD6EZQ6XMA8GA1UdEwEB/wQFMAMBAf8wTwYDVR0RBEgwRoIVZGMwMS5jb3JwLmV4YW1wbGUuY29tghUqLmRjLmNvcnAuZXhhbXBsZS5jb22HBAoBAgOH\
            EAAAAAAAAAAAAAAAAAAAAAEwCgYIKoZIzj0EAwIDRwAwRAIgFFPVIcOQAN3cXpQmnKGYO260rBVRAyB+EidmzS8lGX0CIFTNDRrLeI8vmjca76nib/FY\
            +y6ESiKD8neA3aTnY700
            """)!)

/// A self-signed public certificate (no key kept) with a 1,024-bit RSA key, as old domain controller templates
/// issued: CN=dc02.corp.example.com, SANs DNS:dc02.corp.example.com, IP:10.1.2.4. swift-crypto refuses to load
/// such a key, and a certificate like it is just the one whose names an operator needs to see.
let weakKeyCertificate = Array(
    Data(
        base64Encoded: """
            MIICcjCCAdugAwIBAgIUXGrP93WCuuhSLjTJQbU+pS8injQwDQYJKoZIhvcNAQELBQAwNzEVMBMGA1UECgwMa2NkY3RsIHRlc3RzMR4wHAYDVQQD\
            DBVkYzAyLmNvcnAuZXhhbXBsZS5jb20wHhcNMjYxMTI2MDkxOTAwWhcNMzYxMTIzMDkxOTAwWjA3MRUwEwYDVQQKDAxrY2RjdGwgdGVzdHMxHjAc\
            BgNVBAMMFWRjMDIuY29ycC5leGFtcGxlLmNvbTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA5nwcNXCy6JmdHnab6hEVjyxWCAHdsimZHBME\
            HQNKUaj2a9+U+0nYZYnKy1AVPOLIDFVQwLCaNRhOJIguwCERV6M9Ag4rhnBYysiDRXdKDMWlaQ7OFlzEWvRYbWXgXU5HuGp4PO3qXDQF++Wxm+ID\
            4PMwxOCRA7nCkCIvim4Qq8ECAwEAAaN7MHkwHQYDVR0OBBYEFKVrcgvP9/ci96qEMnM/NzPa3GJGMB8GA1UdIwQYMBaAFKVrcgvP9/ci96qEMnM/\
            NzPa3GJGMA8GA1UdEwEB/wQFMAMBAf8wJgYDVR0RBB8wHYIVZGMwMi5jb3JwLmV4YW1wbGUuY29thwQKAQIEMA0GCSqGSIb3DQEBCwUAA4GBAAVI\
            oVNMN0PZ204Kl0PgLEehNYoJZJ4+KmOCzmOrH93B8lTuqRmRpLtltasiCiKdUX2VmrMas28wePtLhslWKRgxJXxtCshRZIV5EM0v1XoaPu4ZV8XU\
            iM6J0QkMwO3D0EGverPEsEoNUD+n4wGWKVDBps2l4O9hEaIPEJnAJBL5
            """)!)

@Suite struct Certificates {
    @Test func namesAreRead() throws {
        let names = try #require(CertificateNames(der: testCertificate))
        #expect(names.commonName == "dc01.corp.example.com")
        #expect(names.dnsNames == ["dc01.corp.example.com", "*.dc.corp.example.com"])
        #expect(names.ipAddresses == ["10.1.2.3", "0:0:0:0:0:0:0:1"])
        #expect(
            names.summary
                == "CN=dc01.corp.example.com, DNS:dc01.corp.example.com, DNS:*.dc.corp.example.com, IP:10.1.2.3, IP:0:0:0:0:0:0:0:1"
        )
    }

    @Test func namesOfACertificateWithAKeyTooWeakToLoadAreRead() throws {
        let names = try #require(CertificateNames(der: weakKeyCertificate))
        #expect(names.summary == "CN=dc02.corp.example.com, DNS:dc02.corp.example.com, IP:10.1.2.4")
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
