import Foundation
import GRDB

extension PipelineStore {
    /// Every pipeline's current lineage, for the catalog's lineage graph: per (pipeline, dataset) the
    /// tables its latest run read and wrote, and every source file any of its runs read (runs read
    /// only new files, so the files of all runs together are what the table holds).
    public func currentLineage() async throws -> [LineageEdge] {
        try await metadata.writer.read { db in
            let rows = try Row.fetchAll(
                db, sql: """
                    WITH latest AS (
                        SELECT pipeline_id, dataset, update_id FROM (
                            SELECT pipeline_id, dataset, update_id,
                                   row_number() OVER (PARTITION BY pipeline_id, dataset ORDER BY recorded_at DESC, rowid DESC) AS n
                            FROM pipeline_lineage WHERE kind = 'table')
                        WHERE n = 1)
                    SELECT l.* FROM pipeline_lineage l JOIN latest USING (pipeline_id, dataset, update_id) WHERE l.kind = 'table'
                    UNION ALL
                    SELECT * FROM (
                        SELECT update_id, pipeline_id, dataset, direction, kind, name, version, max(recorded_at) AS recorded_at
                        FROM pipeline_lineage WHERE kind = 'file' GROUP BY pipeline_id, dataset, name)
                    """)
            return rows.map(Self.edge)
        }
    }
}
