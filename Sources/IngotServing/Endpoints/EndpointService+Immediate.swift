import Foundation

/// The outcome of a request scored on the caller's thread.
public enum ImmediateScoring: Sendable {
    case answered(InvocationResult)
    /// The entity picked for the request failed it (bad input for its signature, a model error):
    /// the caller answers with the error, as the normal path would for that entity.
    case failed(entity: String, error: any Error)
}

extension EndpointService {
    /// Scores a request without leaving the caller's thread (the HTTP server's scoring fast lane:
    /// no hops between the network thread, the actor and the task pool, which at one connection
    /// cost more than the prediction). Applies only when every entity taking traffic is a loaded
    /// native evaluator and nothing on the endpoint needs the asynchronous path — no shadow
    /// entities, no rate limits; returns nil otherwise, and for a body that does not parse, so the
    /// normal path answers (and words the error). What it books is what ``score`` books: entity
    /// stats (rollouts judge them), metrics and the inference log.
    public nonisolated func scoreImmediately(
        _ endpoint: String, body: [UInt8], contentType: String?, routingKey: String?, requester: String, requestID: String
    ) -> ImmediateScoring? {
        guard let dep = published.withLock({ $0[endpoint] }), dep.shadows.isEmpty, rateLimits.limits(endpoint).isEmpty else { return nil }
        for name in dep.router.entityNames {
            guard dep.entities[name]?.immediatePredictor != nil else { return nil }
        }
        guard let request = try? ScoringRequest.parse(body: body, contentType: contentType),
            let entity = dep.pick(routingKey: routingKey ?? request.clientRequestID), let predictor = entity.immediatePredictor
        else { return nil }
        let start = Date()
        do {
            let frame = try entity.signature?.conform(request.frame) ?? request.frame
            let out = NativeLoadedModel.body(try predictor.predictSync(frame))
            record(entity: entity, request: request, requester: requester, requestID: requestID, shadow: false, start: start, outcome: .success(out))
            return .answered(InvocationResult(entity: entity.spec.name, version: entity.spec.resolvedVersion, body: out))
        } catch {
            record(entity: entity, request: request, requester: requester, requestID: requestID, shadow: false, start: start, outcome: .failure(error))
            return .failed(entity: entity.spec.name, error: error)
        }
    }
}
