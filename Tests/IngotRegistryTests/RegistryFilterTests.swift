import Testing

@testable import IngotRegistry

@Suite struct RegistryFilterTests {
    @Test func parsesAttributesTagsAndLists() throws {
        let f = try RegistryFilter.parse("name = 'm1' AND tags.`my key` != \"x\" and run_id IN ('a', 'b') AND version_number >= 3")
        #expect(f.conditions.count == 4)
        #expect(f.conditions[0] == .init(kind: .attribute, key: "name", comparator: .equal, value: .string("m1")))
        #expect(f.conditions[1] == .init(kind: .tag, key: "my key", comparator: .notEqual, value: .string("x")))
        #expect(f.conditions[2] == .init(kind: .attribute, key: "run_id", comparator: .in, value: .list(["a", "b"])))
        #expect(f.conditions[3] == .init(kind: .attribute, key: "version_number", comparator: .greaterOrEqual, value: .number("3")))
    }

    @Test func dottedTagKeysAndLike() throws {
        let f = try RegistryFilter.parse("tags.mlflow.note LIKE '%x%' AND attributes.name ILIKE 'A%'")
        #expect(f.conditions[0].key == "mlflow.note")
        #expect(f.conditions[0].comparator == .like)
        #expect(f.conditions[1] == .init(kind: .attribute, key: "name", comparator: .ilike, value: .string("A%")))
    }

    @Test(arguments: ["name = ", "name 'x'", "name = 'x' OR name = 'y'", "metrics.x > 1", "name IN 'x'", "name = 'x", "(name = 'x')"])
    func rejectsMalformedFilters(_ text: String) {
        #expect(throws: RegistryError.self) { _ = try RegistryFilter.parse(text) }
    }

    @Test func likeBecomesCaseSensitiveGlob() {
        #expect(RegistrySQL.globPattern(fromLike: "a%b_c*") == "a*b?c[*]")
        #expect(RegistrySQL.globPattern(fromLike: "100\\%") == "100%")
    }

    @Test func pageTokensRoundTrip() throws {
        #expect(try RegistrySQL.offset(fromToken: RegistrySQL.pageToken(offset: 42)) == 42)
        #expect(throws: RegistryError.self) { _ = try RegistrySQL.offset(fromToken: "!!!") }
    }
}
