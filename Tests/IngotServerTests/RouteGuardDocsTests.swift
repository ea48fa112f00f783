import Foundation
import Testing

@testable import IngotServer

/// `docs/route-guards.md` is generated from the route-guard table over every registered route: this
/// test fails when a route or a guard changes without the document. Regenerate with
/// `INGOT_UPDATE_DOCS=1 swift test --filter RouteGuardDocsTests`.
@Suite struct RouteGuardDocsTests {
    static let docURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/route-guards.md")

    @Test func routeGuardDocumentMatchesTheCode() async throws {
        let (services, _, _) = try await RouteGuardCoverageTests.services()
        let router = buildRouter(services: services)
        let generated = RouteGuardDocs.markdown(routes: router.routes.map { ($0.method, $0.path.description) })
        #expect(generated.contains("| GET | `/api/2.0/mlflow/experiments/get` | CAN_READ on the experiment (`experiment_id`) |"))
        #expect(!generated.contains("**none: refused to non-admins**"), "routes without a guard: see RouteGuardCoverageTests")
        if ProcessInfo.processInfo.environment["INGOT_UPDATE_DOCS"] == "1" {
            try generated.write(to: Self.docURL, atomically: true, encoding: .utf8)
        }
        let onDisk = (try? String(contentsOf: Self.docURL, encoding: .utf8)) ?? ""
        #expect(onDisk == generated, "docs/route-guards.md is out of date: run INGOT_UPDATE_DOCS=1 swift test --filter RouteGuardDocsTests")
    }
}
