import Testing
@Test func placeholderCore() { #expect(true) }
