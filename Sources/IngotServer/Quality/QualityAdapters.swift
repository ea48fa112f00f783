import Foundation
import IngotCatalog
import IngotPipelines
import IngotRegistry
import ServiceLifecycle

/// The pipelines module's expectation results as the quality module reads them.
struct PipelineExpectationHistory: ExpectationHistorySource {
    let store: PipelineStore

    func expectations(for table: TableName, limit: Int) async throws -> [ExpectationTrendPoint] {
        try await store.expectationResults(catalog: table.catalog, schema: table.schema, table: table.table, limit: limit).map {
            ExpectationTrendPoint(update_id: $0.updateID, pipeline_id: $0.pipelineID, timestamp_ms: $0.timestamp, name: $0.name, action: $0.action,
                                  passed_records: $0.passedRecords, failed_records: $0.failedRecords)
        }
    }
}

/// Monitor schedules use the jobs' Quartz cron parser.
struct QuartzScheduleEvaluator: CronScheduleEvaluator {
    func next(expression: String, timeZone: String?, after: Date) throws -> Date? {
        let cron = try QuartzCron(expression)
        let zone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        return cron.next(after: after, in: zone)
    }
}

/// Quality notifications go out like registry webhooks: JSON POST, `X-Databricks-Signature` =
/// hex HMAC-SHA256 of the body with the monitor's secret.
struct HTTPQualityTransport: QualityNotificationTransport {
    let http = HTTPWebhookTransport()

    func post(url: String, body: [UInt8], secret: String?, headers: [(String, String)]) async throws -> Int {
        var all: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", "Ingot-Quality")] + headers
        if let secret, !secret.isEmpty { all.append((WebhookSignature.header, WebhookSignature.sign(body, secret: secret))) }
        return try await http.post(url: url, headers: all, body: body, timeoutSeconds: 10).status
    }
}

/// Runs the quality refresh workers, schedule and notification delivery as a service of the application.
struct QualityRefreshService: Service {
    let quality: QualityService

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            await quality.run()
        }
    }
}
