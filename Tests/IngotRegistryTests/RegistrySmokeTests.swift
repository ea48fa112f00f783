import Testing
@testable import IngotRegistry

@Test func registryModuleLoads() { #expect(RegistryModule.migrations.count >= 0) }
