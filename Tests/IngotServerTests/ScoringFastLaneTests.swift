import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import IngotServer

/// The scoring fast lane's connection handling, on an embedded channel: which requests it answers,
/// that everything else reaches the router as it came, and that answers keep HTTP/1.1 order.
@Suite struct ScoringFastLaneTests {
    /// Answers `/serving-endpoints/good/invocations`, declines every other endpoint.
    static func lane() -> ScoringFastLane {
        ScoringFastLane(
            route: "/serving-endpoints/{name}/invocations", paths: .segment(prefix: "/serving-endpoints/", suffix: "/invocations"), maxBodyBytes: 64,
            logger: Logger(label: "test")
        ) { target, _, body, _ in
            guard target == "good" else { return nil }
            return .init(status: .ok, headers: [.contentType: "application/json"], body: "{\"echo\":\(body.count)}")
        }
    }

    /// Records what passes up the pipeline (what the router would get).
    final class RouterStandIn: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPRequestPart
        var parts: [HTTPRequestPart] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { parts.append(unwrapInboundIn(data)) }
    }

    static func channel() throws -> (EmbeddedChannel, RouterStandIn) {
        let router = RouterStandIn()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ScoringFastLaneHandler(lane: lane()))
        try channel.pipeline.syncOperations.addHandler(router)
        return (channel, router)
    }

    static func post(_ path: String, _ body: String, extra: HTTPFields = [:], length: Int? = nil) -> [HTTPRequestPart] {
        var head = HTTPRequest(method: .post, scheme: nil, authority: "x", path: path)
        head.headerFields = extra
        if let length = length ?? Optional(body.utf8.count), length >= 0 { head.headerFields[.contentLength] = String(length) }
        return [.head(head), .body(ByteBuffer(string: body)), .end(nil)]
    }

    static func send(_ channel: EmbeddedChannel, _ parts: [HTTPRequestPart]) throws {
        for p in parts { try channel.writeInbound(p) }
    }

    static func outbound(_ channel: EmbeddedChannel) throws -> [HTTPResponsePart] {
        var out: [HTTPResponsePart] = []
        while let p = try channel.readOutbound(as: HTTPResponsePart.self) { out.append(p) }
        return out
    }

    @Test func answersAnEligibleRequestItselfWithTheRoutersHeaders() throws {
        let (channel, router) = try Self.channel()
        try Self.send(channel, Self.post("/serving-endpoints/good/invocations", "{\"inputs\":[1]}", extra: [RequestLogMiddleware.requestIDField: "abc"]))
        #expect(router.parts.isEmpty)
        let out = try Self.outbound(channel)
        #expect(out.count == 3)
        guard case .head(let head) = out.first, case .body(let body) = out[1], case .end = out[2] else {
            Issue.record("expected head, body, end; got \(out)")
            return
        }
        #expect(head.status == .ok)
        #expect(String(buffer: body) == "{\"echo\":14}")
        #expect(head.headerFields[.contentLength] == String(body.readableBytes))
        #expect(head.headerFields[.contentType] == "application/json")
        #expect(head.headerFields[RequestLogMiddleware.requestIDField] == "abc")
        #expect(head.headerFields[.server] == "ingot")
        #expect(head.headerFields[.date]?.hasSuffix(" GMT") == true)
    }

    @Test func declinedAndIneligibleRequestsReachTheRouterUnchanged() throws {
        let cases: [[HTTPRequestPart]] = [
            Self.post("/serving-endpoints/other/invocations", "{\"inputs\":[1]}"),  // the responder declines
            Self.post("/serving-endpoints/good/invocations?x=1", "{}"),  // query string
            Self.post("/serving-endpoints/good/invocations", "{}", extra: [.expect: "100-continue"]),
            Self.post("/serving-endpoints/good/invocations", "{}", extra: [.connection: "close"]),
            Self.post("/serving-endpoints/good/invocations", String(repeating: "x", count: 65)),  // larger than the lane takes
            Self.post("/serving-endpoints/good/invocations", "{}", length: -1),  // no Content-Length
            Self.post("/serving-endpoints/a%2Fb/invocations", "{}"),  // an encoded name: the router decodes it
            Self.post("/serving-endpoints/good/predict", "{}"),
        ]
        for parts in cases {
            let (channel, router) = try Self.channel()
            try Self.send(channel, parts)
            #expect(try Self.outbound(channel).isEmpty)
            #expect(router.parts.count == 3)
            if case .head(let sent) = parts[0], case .head(let got) = router.parts.first {
                #expect(got.path == sent.path && got.headerFields == sent.headerFields)
            } else {
                Issue.record("no head passed up")
            }
            if case .body(let sent) = parts[1], case .body(let got) = router.parts.dropFirst().first {
                #expect(got == sent)
            } else {
                Issue.record("no body passed up")
            }
        }
    }

    @Test func answersWaitForEarlierRouterAnswers() throws {
        let (channel, router) = try Self.channel()
        // A request the router answers, then a scoring request pipelined behind it.
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/health")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try Self.send(channel, Self.post("/serving-endpoints/good/invocations", "{}"))
        // The scoring request went to the router too: answering it here would overtake /health's answer.
        #expect(router.parts.count == 5)
        #expect(try Self.outbound(channel).isEmpty)
        // The router answers both; from then on the lane answers again.
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        #expect(try Self.outbound(channel).count == 4)
        try Self.send(channel, Self.post("/serving-endpoints/good/invocations", "{}"))
        #expect(router.parts.count == 5)
        let out = try Self.outbound(channel)
        guard case .head(let head) = out.first else {
            Issue.record("the lane did not answer: \(out)")
            return
        }
        #expect(head.status == .ok && out.count == 3)
    }

    @Test func httpDateIsAnIMFFixdate() {
        let text = HTTPDate.now()
        // e.g. "Thu, 26 Nov 2026 12:06:33 GMT"
        #expect(text.count == 29 && text.hasSuffix(" GMT") && text.dropFirst(3).hasPrefix(", "))
    }
}
