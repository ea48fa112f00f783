import Testing
@testable import IngotTracking

@Test func trackingModuleLoads() { #expect(TrackingModule.migrations.count >= 0) }
