import Foundation
import Hummingbird
import IngotServing

/// Ingot's rollout routes for a serving endpoint:
/// `POST /api/2.0/ingot/serving-endpoints/{name}/rollout` starts one (body ``RolloutInput``),
/// `GET …/rollout` answers the latest with `rollout_history`, `POST …/rollout/cancel` returns all
/// traffic to the old entity, `POST …/rollout/promote` skips the remaining steps.
struct ServingRolloutController {
    let endpoints: EndpointService

    func addRoutes(to router: Router<IngotRequestContext>) {
        let group = router.group("/api/2.0/ingot/serving-endpoints/:name/rollout")
        group.post("") { request, context in
            let input = try await request.decode(as: RolloutInput.self, context: context)
            let r = try await endpoints.startRollout(try context.parameters.require("name"), input, creator: context.principal.name)
            return try ServingEndpointsController.json(["rollout": RolloutJSON.rollout(r)])
        }
        group.get("") { _, context in
            let name = try context.parameters.require("name")
            _ = try await endpoints.get(name)
            let all = try await endpoints.rollouts(name)
            guard let latest = all.first else {
                throw ServingError.notFound("Endpoint '\(name)' has had no rollout")
            }
            return try ServingEndpointsController.json(["rollout": RolloutJSON.rollout(latest), "rollout_history": all.map(RolloutJSON.rollout)])
        }
        group.post("cancel") { _, context in
            let r = try await endpoints.controlRollout(try context.parameters.require("name"), .cancel)
            return try ServingEndpointsController.json(["rollout": RolloutJSON.rollout(r)])
        }
        group.post("promote") { _, context in
            let r = try await endpoints.controlRollout(try context.parameters.require("name"), .promote)
            return try ServingEndpointsController.json(["rollout": RolloutJSON.rollout(r)])
        }
    }
}
