import KCDCore
import Testing

@testable import KCDLDAP

@Suite struct ResultCodes {
    @Test(arguments: [
        (LDAPResultCode.success, 0, "success"), (.noSuchAttribute, 16, "noSuchAttribute"),
        (.attributeOrValueExists, 20, "attributeOrValueExists"), (.noSuchObject, 32, "noSuchObject"),
        (.strongerAuthRequired, 8, "strongerAuthRequired"), (.insufficientAccessRights, 50, "insufficientAccessRights"),
        (.serverDown, -1, "serverDown"), (.timeout, -5, "timeout"), (LDAPResultCode(rawValue: 4242), 4242, "code4242"),
    ])
    func numbersAndNames(code: LDAPResultCode, number: Int32, name: String) {
        #expect(code.number == number)
        #expect(code.name == name)
        #expect(code.description == "\(number) \(name)")
    }

    @Test func libldapsTextForACode() {
        #expect(LDAPResultCode.insufficientAccessRights.text == "Insufficient access")
        #expect(LDAPResultCode.serverDown.text == "Can't contact LDAP server")
    }

    /// The connection went away or went silent: the server may have applied the request without saying so.
    @Test func whichCodesLeaveAWriteUnknown() {
        let unknown: [LDAPResultCode] = [.serverDown, .localError, .decodingError, .timeout]
        #expect(unknown.map(\.number) == [-1, -2, -4, -5])
        #expect(unknown.filter(\.requestMayHaveBeenApplied) == unknown)
        let answered: [LDAPResultCode] = [
            .success, .noSuchAttribute, .insufficientAccessRights, .paramError, .connectError,
        ]
        #expect(answered.filter(\.requestMayHaveBeenApplied) == [])
    }

    /// What the audit trail records of a failed write.
    @Test func anLDAPErrorIsADirectoryResultError() {
        let error: any DirectoryResultError = LDAPError(code: .attributeOrValueExists, operation: "modify")
        #expect(error.resultCode == 20)
        #expect(error.resultName == "attributeOrValueExists")
    }

    @Test func hintsForTheCommonOnes() {
        #expect(
            LDAPError(code: .timeout, operation: "search").description
                .hasSuffix("Raise --timeout if the server is only slow"))
        #expect(
            LDAPError(code: .invalidCredentials, operation: "simple bind").description
                .hasSuffix("Check the bind DN and the password"))
        #expect(LDAPError(code: .noSuchObject, operation: "search").hint == nil)
    }
}
