import Foundation
import Hummingbird
import IngotPipelines

/// Read-only schedule preview for the web console's job page:
/// `GET /api/2.0/ingot/jobs/{job_id}/schedule[?count=5]` answers the job's Quartz schedule, its pause
/// state and the next fire times (epoch ms; none while paused) as the scheduler computes them.
struct JobScheduleController {
    let jobs: JobService

    func addRoutes(to router: Router<IngotRequestContext>) {
        router.get("/api/2.0/ingot/jobs/:job_id/schedule") { request, context in
            guard let id = Int64(try context.parameters.require("job_id")) else { throw JobError.invalid("job_id must be an integer") }
            let count = min(20, max(1, request.uri.queryParameters.get("count", as: Int.self) ?? 5))
            return try JobsController.json(try await schedule(try await jobs.get(id), count: count))
        }
    }

    func schedule(_ job: JobRecord, count: Int) throws -> [String: Any] {
        guard let sched = job.settings.schedule else { return ["job_id": job.jobID, "scheduled": false, "next_runs": [Int64]()] }
        var out: [String: Any] = [
            "job_id": job.jobID, "scheduled": true, "quartz_cron_expression": sched.quartzCronExpression, "timezone_id": sched.timezoneId ?? "UTC",
            "pause_status": sched.pauseStatus ?? "UNPAUSED",
        ]
        var next: [Int64] = []
        do {
            let cron = try QuartzCron(sched.quartzCronExpression)
            if !sched.paused, let tz = sched.timeZone {
                var t = max(Date(), Date(timeIntervalSince1970: Double(job.scheduleAnchor) / 1000))
                while next.count < count, let n = cron.next(after: t, in: tz) {
                    next.append(Int64((n.timeIntervalSince1970 * 1000).rounded()))
                    t = n
                }
            }
        } catch {
            out["error"] = "\(error)"
        }
        out["next_runs"] = next
        return out
    }
}
