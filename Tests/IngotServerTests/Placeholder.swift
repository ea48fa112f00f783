import Testing
@Test func placeholderServer() { #expect(true) }
