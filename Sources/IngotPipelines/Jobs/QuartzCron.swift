import Foundation

/// A Quartz cron expression — `seconds minutes hours day-of-month month day-of-week [year]` — evaluated in
/// a time zone. Supports `*`, `?`, ranges `a-b`, lists `a,b`, steps `a/n` and `a-b/n`, month names
/// JAN–DEC, day names SUN–SAT (SUN = 1 as in Quartz), and in day-of-month `L`, `L-n`, `nW`, `LW`; in
/// day-of-week `nL` (last such weekday of the month) and `n#k` (k-th such weekday).
///
/// Wall-clock semantics: a fire time that falls in a daylight-saving gap fires at the first instant after
/// the gap; a wall time that occurs twice when clocks go back fires once, at its first occurrence.
public struct QuartzCron: Sendable, Equatable {
    enum DayOfMonth: Sendable, Equatable {
        case any
        case days(Set<Int>)
        /// `L` (offset 0) or `L-n`.
        case last(offset: Int)
        /// `nW`: the weekday nearest day n, within the month.
        case nearestWeekday(Int)
        /// `LW`: the last weekday of the month.
        case lastWeekday
    }

    enum DayOfWeek: Sendable, Equatable {
        case any
        case days(Set<Int>)
        /// `nL`: the last day n of the month.
        case last(Int)
        /// `n#k`: the k-th day n of the month.
        case nth(Int, Int)
    }

    public let expression: String
    let seconds: Set<Int>
    let minutes: Set<Int>
    let hours: Set<Int>
    let dayOfMonth: DayOfMonth
    let months: Set<Int>
    let dayOfWeek: DayOfWeek
    let years: Set<Int>?

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses an expression.
    /// - Parameter expression: six or seven whitespace-separated fields.
    /// - Throws: ``JobError`` of kind `.badCron` naming the field and what is wrong with it.
    public init(_ expression: String) throws {
        self.expression = expression
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { String($0).uppercased() }
        guard fields.count == 6 || fields.count == 7 else {
            throw JobError(.badCron, "cron expression '\(expression)' has \(fields.count) fields; Quartz needs 6 or 7 (seconds minutes hours day-of-month month day-of-week [year])")
        }
        func fail(_ field: String, _ why: String) -> JobError {
            JobError(.badCron, "cron expression '\(expression)': \(field) field: \(why)")
        }
        seconds = try Self.parseSet(fields[0], 0, 59, names: nil) { fail("seconds", $0) }
        minutes = try Self.parseSet(fields[1], 0, 59, names: nil) { fail("minutes", $0) }
        hours = try Self.parseSet(fields[2], 0, 23, names: nil) { fail("hours", $0) }
        months = try Self.parseSet(fields[4], 1, 12, names: Self.monthNames) { fail("month", $0) }
        years = fields.count == 7 && fields[6] != "*" ? try Self.parseSet(fields[6], 1970, 2199, names: nil) { fail("year", $0) } : nil
        let dom = fields[3], dow = fields[5]
        let domAny = dom == "?" || dom == "*", dowAny = dow == "?" || dow == "*"
        if !domAny && !dowAny {
            throw fail("day-of-week", "specifying both a day-of-month ('\(dom)') and a day-of-week ('\(dow)') is not supported; use '?' in one of them")
        }
        if dom == "?" && dow == "?" { throw fail("day-of-month", "'?' may be used in only one of day-of-month and day-of-week") }
        // Day-of-month.
        if domAny {
            dayOfMonth = .any
        } else if dom == "L" {
            dayOfMonth = .last(offset: 0)
        } else if dom == "LW" {
            dayOfMonth = .lastWeekday
        } else if dom.hasPrefix("L-") {
            guard let n = Int(dom.dropFirst(2)), (0...30).contains(n) else { throw fail("day-of-month", "'\(dom)': expected L-n with n in 0...30") }
            dayOfMonth = .last(offset: n)
        } else if dom.hasSuffix("W") {
            guard let n = Int(dom.dropLast()), (1...31).contains(n) else { throw fail("day-of-month", "'\(dom)': expected nW with n in 1...31") }
            dayOfMonth = .nearestWeekday(n)
        } else {
            dayOfMonth = .days(try Self.parseSet(dom, 1, 31, names: nil) { fail("day-of-month", $0) })
        }
        // Day-of-week (1 = SUN ... 7 = SAT).
        if dowAny {
            dayOfWeek = .any
        } else if dow.contains("#") {
            let parts = dow.split(separator: "#", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let d = Self.value(parts[0], 1, 7, Self.dayNames), let k = Int(parts[1]), (1...5).contains(k) else {
                throw fail("day-of-week", "'\(dow)': expected d#k with d in 1-7 or SUN-SAT and k in 1...5")
            }
            dayOfWeek = .nth(d, k)
        } else if dow.count > 1 && dow.hasSuffix("L") {
            guard let d = Self.value(String(dow.dropLast()), 1, 7, Self.dayNames) else { throw fail("day-of-week", "'\(dow)': expected dL with d in 1-7 or SUN-SAT") }
            dayOfWeek = .last(d)
        } else if dow == "L" {
            dayOfWeek = .days([7])
        } else {
            dayOfWeek = .days(try Self.parseSet(dow, 1, 7, names: Self.dayNames) { fail("day-of-week", $0) })
        }
    }

    static func value(_ s: String, _ lo: Int, _ hi: Int, _ names: [String]?) -> Int? {
        if let n = Int(s) { return (lo...hi).contains(n) ? n : nil }
        if let names, let i = names.firstIndex(of: s) { return lo + i }
        return nil
    }

    static func parseSet(_ field: String, _ lo: Int, _ hi: Int, names: [String]?, _ fail: (String) -> JobError) throws -> Set<Int> {
        var out = Set<Int>()
        for item in field.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !item.isEmpty else { throw fail("empty list item in '\(field)'") }
            var rangePart = item, step = 1
            if let slash = item.firstIndex(of: "/") {
                rangePart = String(item[..<slash])
                guard let s = Int(item[item.index(after: slash)...]), s >= 1 else { throw fail("'\(item)': the step after '/' must be a whole number >= 1") }
                step = s
            }
            var start = lo, end = hi
            if rangePart == "*" || rangePart == "?" {
                if rangePart == "?" && field != "?" { throw fail("'?' must stand alone") }
            } else if let dash = rangePart.firstIndex(of: "-") {
                let a = String(rangePart[..<dash]), b = String(rangePart[rangePart.index(after: dash)...])
                guard let x = value(a, lo, hi, names), let y = value(b, lo, hi, names) else { throw fail("'\(item)': values must be in \(lo)-\(hi)\(names == nil ? "" : " or names")") }
                start = x
                end = y
            } else {
                guard let x = value(rangePart, lo, hi, names) else {
                    if rangePart.contains("L") || rangePart.contains("W") || rangePart.contains("#") {
                        throw fail("'\(item)': L, W and # are only allowed alone in day-of-month / day-of-week")
                    }
                    throw fail("'\(item)': value must be in \(lo)-\(hi)\(names == nil ? "" : " or a name")")
                }
                start = x
                end = item.contains("/") ? hi : x
            }
            if start <= end {
                for v in stride(from: start, through: end, by: step) { out.insert(v) }
            } else {
                // Wrapping range such as FRI-MON or 22-2.
                var v = start, i = 0
                let span = (hi - start + 1) + (end - lo + 1)
                while i < span {
                    out.insert(v)
                    for _ in 0..<step {
                        v = v == hi ? lo : v + 1
                        i += 1
                    }
                }
            }
        }
        return out
    }

    func dayMatches(year: Int, month: Int, day: Int, weekday: Int, daysInMonth: Int, calendar: Calendar) -> Bool {
        if let years, !years.contains(year) { return false }
        guard months.contains(month) else { return false }
        switch dayOfMonth {
        case .any: break
        case .days(let s): if !s.contains(day) { return false }
        case .last(let offset): if day != max(1, daysInMonth - offset) { return false }
        case .nearestWeekday(let n):
            if day != Self.nearestWeekday(to: min(n, daysInMonth), year: year, month: month, daysInMonth: daysInMonth, calendar: calendar) { return false }
        case .lastWeekday:
            if day != Self.nearestWeekday(to: daysInMonth, year: year, month: month, daysInMonth: daysInMonth, calendar: calendar) { return false }
        }
        switch dayOfWeek {
        case .any: break
        case .days(let s): if !s.contains(weekday) { return false }
        case .last(let d): if weekday != d || day + 7 <= daysInMonth { return false }
        case .nth(let d, let k): if weekday != d || (day - 1) / 7 + 1 != k { return false }
        }
        return true
    }

    static func nearestWeekday(to n: Int, year: Int, month: Int, daysInMonth: Int, calendar: Calendar) -> Int {
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: n, hour: 12)) else { return n }
        let wd = calendar.component(.weekday, from: date)
        if wd == 7 { return n == 1 ? 3 : n - 1 }  // Saturday → Friday (or Monday the 3rd)
        if wd == 1 { return n == daysInMonth ? n - 2 : n + 1 }  // Sunday → Monday (or Friday)
        return n
    }

    /// The first fire time strictly after `date`.
    /// - Parameters:
    ///   - date: the instant to search after.
    ///   - timeZone: the zone the expression's wall-clock fields are read in.
    /// - Returns: nil when the expression never fires again (e.g. a past year).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let t = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard var dayStart = cal.date(from: DateComponents(year: t.year, month: t.month, day: t.day, hour: 12)) else { return nil }
        let sortedH = hours.sorted(), sortedM = minutes.sorted(), sortedS = seconds.sorted()
        let limitYear = years?.max() ?? Int.max
        var first = true
        for _ in 0..<(366 * 30) {
            let c = cal.dateComponents([.year, .month, .day, .weekday], from: dayStart)
            let (y, mo, d, wd) = (c.year!, c.month!, c.day!, c.weekday!)
            if y > limitYear { return nil }
            let dim = cal.range(of: .day, in: .month, for: dayStart)?.count ?? 31
            if dayMatches(year: y, month: mo, day: d, weekday: wd, daysInMonth: dim, calendar: cal) {
                for h in sortedH {
                    if first && h < t.hour! { continue }
                    for m in sortedM {
                        if first && h == t.hour! && m < t.minute! { continue }
                        for s in sortedS {
                            if first && h == t.hour! && m == t.minute! && s <= t.second! { continue }
                            if let fire = resolve(cal, y, mo, d, h, m, s), fire > date { return fire }
                        }
                    }
                }
            }
            first = false
            guard let nextDay = cal.date(byAdding: .day, value: 1, to: dayStart) else { return nil }
            dayStart = nextDay
        }
        return nil
    }

    /// The instant of a wall-clock time; a time inside a daylight-saving gap maps to the end of the gap.
    func resolve(_ cal: Calendar, _ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ m: Int, _ s: Int) -> Date? {
        guard let date = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: m, second: s)) else { return nil }
        let back = cal.dateComponents([.day, .hour, .minute, .second], from: date)
        if back.day == d && back.hour == h && back.minute == m && back.second == s { return date }
        // Not a real wall time here: the first instant after the transition that skipped it.
        return cal.timeZone.nextDaylightSavingTimeTransition(after: date.addingTimeInterval(-3 * 3600))
    }

    /// The latest fire time in `(notBefore, now]`, searched with growing windows so that dense
    /// schedules cost little; nil if none.
    public func latest(notAfter now: Date, notBefore: Date, in timeZone: TimeZone) -> Date? {
        for window: Double in [60, 3600, 86_400, 32 * 86_400, 366 * 86_400, 5 * 366 * 86_400] {
            var cursor = max(notBefore, now.addingTimeInterval(-window))
            var found: Date?
            var n = 0
            while let f = next(after: cursor, in: timeZone), f <= now, n < 100_000 {
                found = f
                cursor = f
                n += 1
            }
            if let found { return found }
            if now.addingTimeInterval(-window) <= notBefore { return nil }
        }
        return nil
    }
}
