import IngotStorage

/// The pipelines module's schema migrations, registered in order by the composition root.
/// Append new migrations; never edit one that has shipped.
public enum PipelinesModule {
    public static let migrations: [Migration] = [
        Migration("pipelines.v1") { db in try PipelineSchema.createV1(db) },
        Migration("jobs.v1") { db in try JobSchema.createV1(db) },
        Migration("pipelines.v2") { db in
            try PipelineSchema.createLineageV2(db)
            try PipelineSchema.createEventLogMarksV2(db)
        },
        Migration("pipelines.v3") { db in try PipelineScheduleSchema.createV3(db) },
        Migration("pipelines.v4") { db in try PipelineSchema.createColumnLineageV4(db) },
    ]
}
