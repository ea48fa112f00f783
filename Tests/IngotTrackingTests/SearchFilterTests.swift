import Testing
@testable import IngotTracking

@Suite struct SearchFilterTests {
    let parser = SearchFilterParser()

    @Test func parsesConditionsJoinedByAnd() throws {
        let conditions = try parser.parse("metrics.acc > 0.9 AND params.model = 'cnn' AND tags.`mlflow.runName` LIKE 'exp%'")
        #expect(conditions.count == 3)
        #expect(conditions[0] == FilterCondition(entity: "metrics", key: "acc", comparator: .gt, value: .number(0.9, text: "0.9", isInteger: false)))
        #expect(conditions[1].value == .string("cnn"))
        #expect(conditions[2].key == "mlflow.runName" && conditions[2].comparator == .like)
    }

    @Test func parsesDottedKeysListsAndNulls() throws {
        let c = try parser.parse("tags.mlflow.parentRunId = \"abc\" AND attributes.run_id NOT IN ('a', 'b') AND params.x IS NOT NULL AND run_name ILIKE '%x%'")
        #expect(c[0].key == "mlflow.parentRunId" && c[0].value == .string("abc"))
        #expect(c[1].comparator == .notInList && c[1].value == .list(["a", "b"]))
        #expect(c[2].comparator == .isNotNull)
        #expect(c[3].entity == nil && c[3].key == "run_name")
    }

    @Test func parsesNegativeAndExponentNumbers() throws {
        let c = try parser.parse("metrics.loss <= -1.5e-3")
        guard case .number(let v, _, let isInt) = c[0].value else { Issue.record("not a number"); return }
        #expect(v == -1.5e-3 && !isInt)
    }

    @Test(arguments: ["metrics.acc >>> 1", "metrics.a = 1 OR metrics.b = 2", "metrics.a =", "= 1", "params.x = 'unterminated", "metrics.a IN 1"])
    func rejectsInvalidFilters(_ filter: String) {
        #expect(throws: TrackingError.self) { try parser.parse(filter) }
    }

    @Test func parsesOrderBy() throws {
        #expect(try OrderClause.parse("metrics.acc DESC") == OrderClause(entity: "metrics", key: "acc", ascending: false))
        #expect(try OrderClause.parse("attributes.start_time") == OrderClause(entity: "attributes", key: "start_time", ascending: true))
        #expect(try OrderClause.parse("params.`my key` asc") == OrderClause(entity: "params", key: "my key", ascending: true))
    }

    @Test func translatesLikeToGlob() {
        #expect(globPattern(fromLike: "a%b_c*[") == "a*b?c[*][[]")
    }

    @Test func compiledSQLBindsValuesInsteadOfPastingThem() throws {
        let filter = try parser.parse("params.x = 'x''; DROP TABLE tracking_runs; --' AND metrics.m > 1")
        let query = try RunSearchCompiler.compile(
            experimentIDs: [1], filter: filter, orderBy: [try OrderClause.parse("metrics.m DESC")], viewType: .activeOnly, limit: 10, offset: 0)
        #expect(!query.sql.contains("DROP TABLE"))
        #expect(query.sql.contains("?"))
    }
}
