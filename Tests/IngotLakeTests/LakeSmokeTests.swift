import Testing
@testable import IngotLake

@Test func lakeModuleLoads() { #expect(LakeModule.migrations.count >= 0) }
