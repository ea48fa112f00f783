import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// A scoring route answered below the router: a small scoring request is read, scored and
/// answered on the connection's event-loop thread. Through the router, each request hops from the
/// network thread to the task pool and back, across the middleware chain and the serving actors;
/// at one connection those hops cost more than scoring a row with a native tree model. The lane
/// only takes what it can answer exactly as the router would (same body, headers, access-log line,
/// request metrics); everything else, and whatever its responder declines, goes up the pipeline
/// unchanged. Installed only when authentication is off (the router's guards would apply otherwise).
struct ScoringFastLane: Sendable {
    /// An answer to write.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
    }

    /// Scores one request: the path's target (e.g. the endpoint name), the head, the whole body,
    /// the request id. Nil declines: the request takes the normal path.
    typealias Responder = @Sendable (_ target: Substring, _ head: HTTPRequest, _ body: [UInt8], _ requestID: String) -> Answer?

    /// Which paths the lane takes.
    enum Paths: Sendable {
        /// One path, e.g. `/invocations`; the target is empty.
        case exact(String)
        /// One variable segment between a prefix and a suffix, e.g. `/serving-endpoints/` and
        /// `/invocations`; the target is the segment.
        case segment(prefix: String, suffix: String)
    }

    /// The route template, as the router names it in the access log and metrics.
    let route: String
    let paths: Paths
    /// Larger bodies (batches) take the normal path, which scores off the network threads.
    let maxBodyBytes: Int
    /// Whether the router in front of this lane logs requests, records Hummingbird's request
    /// metrics and echoes `X-Request-Id` (``RequestLogMiddleware``): the lane then does the same.
    let booksRequests: Bool
    let logger: Logger
    let respond: Responder
    private let metrics: RequestMetrics

    init(route: String, paths: Paths, maxBodyBytes: Int = 64 * 1024, booksRequests: Bool = true, logger: Logger, respond: @escaping Responder) {
        self.route = route
        self.paths = paths
        self.maxBodyBytes = maxBodyBytes
        self.booksRequests = booksRequests
        self.logger = logger
        self.respond = respond
        self.metrics = RequestMetrics(route: route)
    }

    /// A handler for one connection.
    func handler() -> any RemovableChannelHandler { ScoringFastLaneHandler(lane: self) }

    /// The variable segment when the request is one the lane may take: a POST of this route with a
    /// small Content-Length body, no `Expect: 100-continue`, no `Connection: close`, no query.
    func target(of head: HTTPRequest) -> Substring? {
        guard head.method == .post, let path = head.path else { return nil }
        let target: Substring
        switch paths {
        case .exact(let exact):
            guard path == exact else { return nil }
            target = ""
        case .segment(let prefix, let suffix):
            guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.utf8.count > prefix.utf8.count + suffix.utf8.count else { return nil }
            target = path.dropFirst(prefix.count).dropLast(suffix.count)
            guard target.utf8.allSatisfy(Self.isNameByte) else { return nil }
        }
        guard let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length >= 0, length <= maxBodyBytes,
            head.headerFields[.expect] == nil, head.headerFields[.transferEncoding] == nil,
            !(head.headerFields[.connection]?.lowercased().contains("close") ?? false)
        else { return nil }
        return target
    }

    /// Letters, digits, `-`, `_`, `.`: names the router would pass through undecoded.
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b == 0x2E
    }

    /// The access-log line and request metrics of ``RequestLogMiddleware`` and Hummingbird's
    /// `MetricsMiddleware`, for a request the lane answered.
    func booked(_ head: HTTPRequest, status: HTTPResponse.Status, requestID: String, hbID: String, startNanos: UInt64) {
        guard booksRequests else { return }
        let elapsed = DispatchTime.now().uptimeNanoseconds - startNanos
        metrics.record(status: status.code, nanoseconds: elapsed)
        // The access-log line is at info: below that level, skip building its metadata too.
        guard logger.logLevel <= .info else { return }
        let hundredths = (elapsed + 5_000) / 10_000
        let fraction = hundredths % 100
        var logger = logger
        logger[metadataKey: "hb.request.id"] = .string(hbID)
        logger[metadataKey: "request_id"] = .string(requestID)
        logger.info(
            "request",
            metadata: [
                "method": .string(head.method.rawValue),
                "path": .string(head.path ?? ""),
                "route": .string(route),
                "status": .stringConvertible(status.code),
                "duration_ms": .string("\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"),
            ])
    }

    /// Hummingbird's request metrics for this route, with its labels and dimensions: an answer
    /// counts and is timed; an error answer (thrown, on the router's path) counts as a request and
    /// an error, untimed. The success handles are made once.
    final class RequestMetrics: Sendable {
        let route: String
        private let okCounter: Counter
        private let okTimer: Timer

        init(route: String) {
            self.route = route
            let dimensions = Self.dimensions(route: route, status: 200)
            okCounter = Counter(label: "hb.requests", dimensions: dimensions)
            okTimer = Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
        }

        static func dimensions(route: String, status: Int) -> [(String, String)] {
            [("http.route", route), ("http.request.method", "POST"), ("http.response.status_code", String(status))]
        }

        func record(status: Int, nanoseconds: UInt64) {
            if status == 200 {
                okCounter.increment()
                okTimer.recordNanoseconds(Int64(nanoseconds))
                return
            }
            Counter(label: "hb.requests", dimensions: Self.dimensions(route: route, status: status)).increment()
            Counter(label: "hb.request.errors", dimensions: [("http.route", route), ("http.request.method", "POST"), ("error.type", String(status))])
                .increment()
        }
    }
}

/// One connection's fast lane. HTTP/1.1 answers in request order, so a request is only answered
/// here while no earlier request is still being answered by the router; its parts are held until
/// the body is complete, then either answered or passed up as they came.
final class ScoringFastLaneHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let lane: ScoringFastLane
    private var heldHead: HTTPRequest?
    private var heldTarget: Substring = ""
    private var heldBody: ByteBuffer?
    private var heldSince: UInt64 = 0
    /// Requests passed up whose response has not ended yet.
    private var unanswered = 0

    init(lane: ScoringFastLane) { self.lane = lane }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if unanswered == 0, let target = lane.target(of: head) {
                heldHead = head
                heldTarget = target
                heldBody = nil
                heldSince = DispatchTime.now().uptimeNanoseconds
                return
            }
            unanswered += 1
            context.fireChannelRead(data)
        case .body(var chunk):
            guard heldHead != nil else {
                context.fireChannelRead(data)
                return
            }
            if (heldBody?.readableBytes ?? 0) + chunk.readableBytes > lane.maxBodyBytes {
                // More than Content-Length promised: the router's codec and limits deal with it.
                passUp(context)
                context.fireChannelRead(data)
                return
            }
            if heldBody == nil {
                heldBody = chunk
            } else {
                heldBody!.writeBuffer(&chunk)
            }
        case .end:
            guard let head = heldHead else {
                context.fireChannelRead(data)
                return
            }
            if answer(context, head) { return }
            passUp(context)
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }

    /// Sends the held request up the pipeline, as it arrived.
    private func passUp(_ context: ChannelHandlerContext) {
        guard let head = heldHead else { return }
        heldHead = nil
        unanswered += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if let body = heldBody {
            heldBody = nil
            context.fireChannelRead(wrapInboundOut(.body(body)))
        }
    }

    private func answer(_ context: ChannelHandlerContext, _ head: HTTPRequest) -> Bool {
        let hbID = RequestID().description
        let requestID = RequestLogMiddleware.acceptableID(head.headerFields[RequestLogMiddleware.requestIDField]) ?? hbID
        let bytes = heldBody.map { Array($0.readableBytesView) } ?? []
        guard let answer = lane.respond(heldTarget, head, bytes, hbID) else { return false }
        heldHead = nil
        heldBody = nil
        var response = HTTPResponse(status: answer.status)
        response.headerFields = answer.headers
        let body = ByteBuffer(string: answer.body)
        // Appended, not set: the responder's headers never hold these, and setting searches first.
        response.headerFields.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
        if lane.booksRequests { response.headerFields.append(HTTPField(name: RequestLogMiddleware.requestIDField, value: requestID)) }
        response.headerFields.append(HTTPField(name: .date, value: HTTPDate.now()))
        response.headerFields.append(HTTPField(name: .server, value: "ingot"))
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        lane.booked(head, status: answer.status, requestID: requestID, hbID: hbID, startNanos: heldSince)
        return true
    }
}

/// The `Date` header value (IMF-fixdate), formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        var t = time(nil)
        let second = Int(t)
        if let text = cache.withLock({ $0.second == second ? $0.text : nil }) { return text }
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text =
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        cache.withLock { $0 = (second, text) }
        return text
    }
}
