/// Asked before any update runs (started through the API, by a job, or by the pipeline's own
/// schedule); a refusal ends the update FAILED with the error's message and nothing is written.
/// The composition root supplies it (with authentication on: the owner's catalog privileges).
public protocol PipelineUpdateGate: Sendable {
    func checkUpdate(_ pipeline: PipelineRecord) async throws
}
