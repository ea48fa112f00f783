import IngotRegistry
import IngotTracking

/// The registry's view of tracking (runs, logged models, dataset inputs), implemented with
/// tracking's public store API so the registry never reads tracking's tables.
struct TrackingModelSources: ModelSourceResolver, RunLineageProvider {
    let store: any TrackingStore

    func run(id: String) async throws -> SourceRun? {
        do {
            let run = try await store.getRun(id: id)
            return SourceRun(runID: run.info.run_id, experimentID: run.info.experiment_id, artifactURI: run.info.artifact_uri)
        } catch let error as TrackingError where error.errorCode == .resourceDoesNotExist {
            return nil
        }
    }

    func loggedModel(id: String) async throws -> SourceLoggedModel? {
        do {
            let model = try await store.getLoggedModel(id: id)
            return SourceLoggedModel(
                modelID: model.info.model_id, experimentID: model.info.experiment_id, artifactLocation: model.info.artifact_uri,
                sourceRunID: model.info.source_run_id)
        } catch let error as TrackingError where error.errorCode == .resourceDoesNotExist {
            return nil
        }
    }

    func datasetInputs(runID: String) async throws -> [LineageDataset] {
        let run = try await store.getRun(id: runID)
        return (run.inputs.dataset_inputs ?? []).map { input in
            LineageDataset(
                name: input.dataset.name, digest: input.dataset.digest, source_type: input.dataset.source_type, source: input.dataset.source,
                context: input.tags?.first(where: { $0.key == "mlflow.data.context" })?.value)
        }
    }
}
