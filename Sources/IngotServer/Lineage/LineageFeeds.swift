import Foundation
import IngotCatalog
import IngotPipelines
import IngotRegistry
import IngotServing
import IngotStorage
import IngotTracking

/// Pipeline runs: source files (or the volumes they land in) → bronze → silver → gold, each link
/// through its pipeline, table → table links with the column lineage the dataset's SQL shows.
struct PipelineLineageFeed: LineageFeed {
    let store: PipelineStore
    var volumes: VolumeStore? = nil
    var origin: String { "pipeline" }

    func currentLinks() async throws -> [LineageLink] {
        let edges = try await store.currentLineage()
        var columns: [String: [ColumnMapping]] = [:]
        for c in try await store.currentColumnLineage() { columns["\(c.pipelineID)\u{1}\(c.dataset)\u{1}\(c.updateID)\u{1}\(c.source)"] = c.columns }
        // Per (pipeline, dataset): what it read and the table it wrote.
        var writes: [String: IngotPipelines.LineageEdge] = [:]
        for e in edges where e.direction == .write { writes["\(e.pipelineID)\u{1}\(e.dataset)"] = e }
        var links: [LineageLink] = []
        var seen = Set<String>()
        var inVolume: [String: (LineageNode, String)?] = [:]
        for e in edges where e.direction == .read {
            guard let w = writes["\(e.pipelineID)\u{1}\(e.dataset)"] else { continue }
            let via = LineageNode(.pipeline, e.pipelineID)
            let at = max(e.recordedAt, w.recordedAt)
            if e.kind == .file {
                let path = e.name.hasPrefix("file://") ? String(e.name.dropFirst(7)) : e.name
                let dir = (path as NSString).deletingLastPathComponent
                if inVolume[dir] == nil { inVolume[dir] = .some(await volume(containing: dir)) }
                let source = inVolume[dir]??.0 ?? LineageNode(.file, path)
                guard seen.insert("\(source.key)\u{1}\(w.name)\u{1}\(e.pipelineID)").inserted else { continue }
                links.append(LineageLink(source, .table(w.name), via: via, origin: origin, event: w.updateID, recordedAt: at))
            } else {
                let mapped = columns["\(e.pipelineID)\u{1}\(e.dataset)\u{1}\(w.updateID)\u{1}\(e.name.lowercased())"] ?? []
                links.append(LineageLink(.table(e.name), .table(w.name), via: via, origin: origin, event: w.updateID, columns: mapped, recordedAt: at))
            }
        }
        return links
    }

    /// The volume whose directory holds `dir`, and `dir` as a `/Volumes/<c>/<s>/<v>/...` path.
    func volume(containing dir: String) async -> (LineageNode, String)? {
        guard let volumes, let v = (try? await volumes.volumesOverlapping(directory: dir))?.first(where: { VolumeLocations.contains($0.directory, dir) })
        else { return nil }
        let root = v.directory
        let rest = dir.count > root.count ? String(dir.dropFirst(root.count)) : ""
        return (LineageNode(.volume, "\(v.catalogName).\(v.schemaName).\(v.name)"), "/Volumes/\(v.catalogName)/\(v.schemaName)/\(v.name)\(rest)")
    }

    func currentAttributes() async throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for p in try await store.pipelines() { out[LineageNode(.pipeline, p.id).key] = ["display_name": p.name] }
        if volumes != nil {
            var dirs = Set<String>()
            for e in try await store.currentLineage() where e.kind == .file {
                let path = e.name.hasPrefix("file://") ? String(e.name.dropFirst(7)) : e.name
                dirs.insert((path as NSString).deletingLastPathComponent)
            }
            for dir in dirs.sorted() {
                if let (node, path) = await volume(containing: dir), out[node.key] == nil { out[node.key] = ["path": path] }
            }
        }
        return out
    }
}

/// Jobs: a `pipeline_task` links the job to the pipeline it runs; an `sql_task` statement that
/// writes a table links the tables it reads to it, through the job.
struct JobLineageFeed: LineageFeed {
    let jobs: JobService
    var origin: String { "job" }

    func currentLinks() async throws -> [LineageLink] {
        var links: [LineageLink] = []
        var offset = 0
        while true {
            let page = try await jobs.list(limit: 100, offset: offset)
            for job in page {
                let node = LineageNode(.job, String(job.jobID))
                for task in job.settings.tasks ?? [] {
                    if let p = task.pipelineTask {
                        links.append(LineageLink(node, LineageNode(.pipeline, p.pipelineId), origin: origin, event: task.taskKey, recordedAt: job.updatedTime))
                    }
                    if let sql = task.sqlTask, let text = sql.statement {
                        for statement in text.split(separator: ";").map(String.init) {
                            links += await SQLLineage.links(statement, catalog: sql.catalog ?? "main", schema: sql.schema ?? "default", via: node, origin: origin,
                                                      event: task.taskKey, columnsOf: { _ in nil }, at: job.updatedTime)
                        }
                    }
                }
            }
            if page.count < 100 { break }
            offset += 100
        }
        return links
    }

    func currentAttributes() async throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for job in try await jobs.list(limit: 1000) { out[LineageNode(.job, String(job.jobID)).key] = ["display_name": job.settings.name ?? "job \(job.jobID)"] }
        return out
    }
}

/// Tracking runs: each logged input dataset whose source names an Ingot table (or a file) flows into its run.
struct TrackingLineageFeed: LineageFeed {
    let store: SQLiteTrackingStore
    let names: @Sendable (String, String, String) async -> LineageNode
    var origin: String { "tracking" }

    func currentLinks() async throws -> [LineageLink] {
        var links: [LineageLink] = []
        for input in try await store.allDatasetInputs() {
            let source = await names(input.sourceType, input.source, input.name)
            links.append(LineageLink(source, LineageNode(.mlflowRun, input.runID), origin: origin, event: input.context ?? input.digest))
        }
        return links
    }

    func currentAttributes() async throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for input in try await store.allDatasetInputs() {
            var a = ["experiment_id": input.experimentID]
            if let n = input.runName { a["display_name"] = n }
            out[LineageNode(.mlflowRun, input.runID).key] = a
        }
        return out
    }
}

/// Model versions: the run that produced each version (its `run_id`, or its logged model's source run).
struct RegistryLineageFeed: LineageFeed {
    let registry: any RegistryStore
    let tracking: any TrackingStore
    var origin: String { "registry" }

    func currentLinks() async throws -> [LineageLink] {
        var links: [LineageLink] = []
        var token: String?
        repeat {
            let page = try await registry.searchModelVersions(filter: try RegistryFilter.parse(nil), orderBy: [], maxResults: 1000, pageToken: token)
            for v in page.items {
                var run = v.run_id.flatMap { $0.isEmpty ? nil : $0 }
                if run == nil, let model = v.model_id, let logged = try? await tracking.getLoggedModel(id: model) { run = logged.info.source_run_id }
                guard let run else { continue }
                links.append(LineageLink(LineageNode(.mlflowRun, run), .modelVersion(v.name, v.version), origin: origin, event: v.version,
                                         recordedAt: v.creation_timestamp))
            }
            token = page.nextPageToken
        } while token != nil && !(token ?? "").isEmpty
        return links
    }
}

/// Serving endpoints: each served entity's model version (an `@alias` is resolved to its version now).
struct ServingLineageFeed: LineageFeed {
    let endpoints: EndpointStore
    let registry: any RegistryStore
    var origin: String { "serving" }

    func currentLinks() async throws -> [LineageLink] {
        var links: [LineageLink] = []
        for e in try await endpoints.list() {
            guard let config = e.config ?? e.pendingConfig else { continue }
            for entity in config.entities {
                let model = entity.modelName
                var version = (entity.resolvedVersion ?? entity.version).map(String.init)
                if version == nil, let alias = entity.alias, let mv = try? await registry.getModelVersion(name: model, alias: alias) { version = mv.version }
                guard let version else { continue }
                links.append(LineageLink(.modelVersion(model, version), LineageNode(.servingEndpoint, e.name), origin: origin, event: String(e.configVersion),
                                         recordedAt: e.lastUpdatedTimestamp))
            }
        }
        return links
    }
}

/// Wires every module's lineage feed into the catalog's lineage service (composition root).
enum LineageWiring {
    static func feeds(
        _ lineage: LineageService, metadata: MetadataStore, pipelines: PipelineService, jobs: JobService, registry: any RegistryStore,
        endpoints: EndpointService
    ) -> LineageService {
        let tracking = SQLiteTrackingStore(metadata: metadata)
        return lineage.adding([
            PipelineLineageFeed(store: pipelines.store, volumes: VolumeStore(metadata: metadata)),
            JobLineageFeed(jobs: jobs),
            TrackingLineageFeed(store: tracking, names: { type, source, name in await lineage.datasetSourceNode(sourceType: type, source: source, name: name) }),
            RegistryLineageFeed(registry: registry, tracking: tracking),
            ServingLineageFeed(endpoints: endpoints.store, registry: registry),
        ])
    }
}
