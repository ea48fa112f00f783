import Testing
@Test func placeholderStorage() { #expect(true) }
