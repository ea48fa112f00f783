import HTTPTypes
import Hummingbird
import Testing

@testable import IngotServer

@Suite struct SessionCookieTests {
    @Test func cookieAttributes() {
        let plain = SessionCookie.make("abc", maxAgeSeconds: 43200, secure: false).description
        #expect(plain.hasPrefix("ingot_session=abc"))
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] { #expect(plain.contains(attribute)) }
        #expect(!plain.contains("Secure"))
        #expect(SessionCookie.make("abc", maxAgeSeconds: 60, secure: true).description.contains("Secure"))
        let cleared = SessionCookie.cleared(secure: true).description
        #expect(cleared.hasPrefix("ingot_session=;") && cleared.contains("Max-Age=0") && cleared.contains("Secure"))
    }

    @Test func csrfRule() {
        for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
            #expect(SessionCookie.requiresCSRF(method, path: "/api/2.0/mlflow/runs/create"))
        }
        #expect(!SessionCookie.requiresCSRF(.get, path: "/api/2.0/mlflow/runs/get"))
        #expect(!SessionCookie.requiresCSRF(.head, path: "/"))
        #expect(!SessionCookie.requiresCSRF(.post, path: SessionController.loginPath))
        #expect(SessionCookie.requiresCSRF(.post, path: SessionController.logoutPath))
        #expect(SessionCookie.csrfMatches("t0ken", expected: "t0ken"))
        #expect(!SessionCookie.csrfMatches("t0kem", expected: "t0ken"))
        #expect(!SessionCookie.csrfMatches("t0ke", expected: "t0ken"))
        #expect(!SessionCookie.csrfMatches(nil, expected: "t0ken"))
        #expect(!SessionCookie.csrfMatches("", expected: ""))
    }
}
