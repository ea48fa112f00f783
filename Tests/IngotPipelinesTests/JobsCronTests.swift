import Foundation
import Testing

@testable import IngotPipelines

@Suite struct JobsCronTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func date(_ s: String, _ tz: TimeZone = utc) -> Date {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = tz
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.date(from: s)!
    }

    static func text(_ d: Date?, _ tz: TimeZone = utc) -> String {
        guard let d else { return "nil" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = tz
        f.dateFormat = "yyyy-MM-dd HH:mm:ss ZZZZZ"
        return f.string(from: d)
    }

    static func next(_ expr: String, _ after: String, _ tz: TimeZone = utc) throws -> String {
        text(try QuartzCron(expr).next(after: date(after, tz), in: tz), tz)
    }

    @Test(arguments: [
        ("0 * * * * ?", "2024-03-01 10:15:30", "2024-03-01 10:16:00 Z"),
        ("*/5 * * * * ?", "2024-03-01 10:15:32", "2024-03-01 10:15:35 Z"),
        ("*/5 * * * * ?", "2024-03-01 10:15:35", "2024-03-01 10:15:40 Z"),
        ("0 0 12 * * ?", "2024-03-01 12:00:00", "2024-03-02 12:00:00 Z"),
        ("0 15 10 ? * MON-FRI", "2024-03-01 11:00:00", "2024-03-04 10:15:00 Z"),  // Friday → Monday
        ("0 0/15 9-10 * * ?", "2024-03-01 10:50:00", "2024-03-02 09:00:00 Z"),
        ("0 0 0 1 JAN,JUL ?", "2024-03-01 00:00:00", "2024-07-01 00:00:00 Z"),
        ("0 0 0 L * ?", "2024-02-10 00:00:00", "2024-02-29 00:00:00 Z"),  // leap year
        ("0 0 0 L-2 * ?", "2024-04-01 00:00:00", "2024-04-28 00:00:00 Z"),
        ("0 0 0 15W * ?", "2024-06-01 00:00:00", "2024-06-14 00:00:00 Z"),  // 15 June 2024 is a Saturday
        ("0 0 0 1W * ?", "2024-08-20 00:00:00", "2024-09-02 00:00:00 Z"),  // 1 Sep 2024 is a Sunday → Monday 2nd
        ("0 0 0 LW * ?", "2024-08-01 00:00:00", "2024-08-30 00:00:00 Z"),  // 31 Aug 2024 is a Saturday
        ("0 0 0 ? * 6L", "2024-03-01 00:00:00", "2024-03-29 00:00:00 Z"),  // last Friday
        ("0 0 0 ? * MON#2", "2024-03-01 00:00:00", "2024-03-11 00:00:00 Z"),
        ("0 0 0 ? * 1", "2024-03-01 00:00:00", "2024-03-03 00:00:00 Z"),  // 1 = Sunday
        ("0 30 22-2/2 * * ?", "2024-03-01 23:00:00", "2024-03-02 00:30:00 Z"),  // wrapping range
        ("0 0 0 1 1 ? 2030", "2024-03-01 00:00:00", "2030-01-01 00:00:00 Z"),
        ("0 0 0 29 2 ?", "2025-01-01 00:00:00", "2028-02-29 00:00:00 Z"),
    ])
    func nextFireTime(expr: String, after: String, expected: String) throws {
        #expect(try Self.next(expr, after) == expected)
    }

    @Test func pastYearNeverFires() throws {
        #expect(try QuartzCron("0 0 0 1 1 ? 2020").next(after: Self.date("2024-01-01 00:00:00"), in: Self.utc) == nil)
    }

    @Test func timeZones() throws {
        let ny = TimeZone(identifier: "America/New_York")!
        // 09:00 New York in winter is 14:00 UTC.
        let fire = try QuartzCron("0 0 9 * * ?").next(after: Self.date("2024-01-10 12:00:00"), in: ny)
        #expect(Self.text(fire) == "2024-01-10 14:00:00 Z")
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        let t = try QuartzCron("0 0 0 * * ?").next(after: Self.date("2024-01-10 12:00:00"), in: tokyo)
        #expect(Self.text(t) == "2024-01-10 15:00:00 Z")
    }

    @Test func springForwardGapFiresAtEndOfGap() throws {
        let ny = TimeZone(identifier: "America/New_York")!
        // 10 March 2024: 02:00 EST jumps to 03:00 EDT. A daily 02:30 job still fires once, at 03:00 EDT.
        let fire = try QuartzCron("0 30 2 * * ?").next(after: Self.date("2024-03-10 00:00:00", ny), in: ny)
        #expect(Self.text(fire, ny) == "2024-03-10 03:00:00 -04:00")
        let after = try QuartzCron("0 30 2 * * ?").next(after: fire!, in: ny)
        #expect(Self.text(after, ny) == "2024-03-11 02:30:00 -04:00")
        // Hourly at :30: 01:30 EST, then (no 02:30) 03:00 EDT, then 03:30 EDT.
        let hourly = try QuartzCron("0 30 * * * ?")
        var t = Self.date("2024-03-10 01:00:00", ny)
        var seen: [String] = []
        for _ in 0..<3 {
            t = hourly.next(after: t, in: ny)!
            seen.append(Self.text(t, ny))
        }
        #expect(seen == ["2024-03-10 01:30:00 -05:00", "2024-03-10 03:00:00 -04:00", "2024-03-10 03:30:00 -04:00"])
    }

    @Test func fallBackRepeatedHourFiresOnce() throws {
        let ny = TimeZone(identifier: "America/New_York")!
        // 3 November 2024: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice but fires once.
        let cron = try QuartzCron("0 30 1 * * ?")
        let first = cron.next(after: Self.date("2024-11-03 00:00:00", ny), in: ny)!
        #expect(Self.text(first, ny) == "2024-11-03 01:30:00 -04:00")
        let second = cron.next(after: first, in: ny)!
        #expect(Self.text(second, ny) == "2024-11-04 01:30:00 -05:00")
        // Every 20 minutes through the repeated hour: instants strictly increase, no wall time twice.
        let every = try QuartzCron("0 0/20 * * * ?")
        var t = Self.date("2024-11-03 00:50:00", ny)
        var walls: [String] = []
        for _ in 0..<6 {
            let n = every.next(after: t, in: ny)!
            #expect(n > t)
            t = n
            walls.append(Self.text(n, ny))
        }
        #expect(Set(walls).count == walls.count)
    }

    @Test func latestDueTime() throws {
        let cron = try QuartzCron("0 * * * * ?")
        let now = Self.date("2024-03-01 10:15:30")
        let latest = cron.latest(notAfter: now, notBefore: Self.date("2024-03-01 09:00:00"), in: Self.utc)
        #expect(Self.text(latest) == "2024-03-01 10:15:00 Z")
        #expect(cron.latest(notAfter: now, notBefore: Self.date("2024-03-01 10:15:00"), in: Self.utc) == nil)
        // A daily job missed long ago: the most recent fire time, found without iterating every day.
        let daily = try QuartzCron("0 0 3 * * ?")
        let d = daily.latest(notAfter: now, notBefore: Self.date("2020-01-01 00:00:00"), in: Self.utc)
        #expect(Self.text(d) == "2024-03-01 03:00:00 Z")
    }

    @Test(arguments: [
        ("* * * * *", "5 fields"),
        ("0 0 25 * * ?", "hours field"),
        ("0 60 * * * ?", "minutes field"),
        ("0 0 0 ? * FOO", "day-of-week field"),
        ("0 0 0 1 * MON", "both a day-of-month"),
        ("0 0 0 ? * ?", "'?' may be used in only one"),
        ("0 0 0 32W * ?", "nW"),
        ("0 0 0 ? * MON#6", "d#k"),
        ("0 0 0 * 13 ?", "month field"),
        ("0 0 0 * * ? 1800", "year field"),
        ("0/0 * * * * ?", "step"),
        ("0 0 0 1L * ?", "L, W and #"),
    ])
    func invalidExpressionsNameTheField(expr: String, fragment: String) {
        #expect {
            _ = try QuartzCron(expr)
        } throws: { error in
            guard let e = error as? JobError else { return false }
            return e.kind == .badCron && e.message.contains(fragment)
        }
    }
}
