import Foundation
import Logging

/// A pool of Python pyfunc workers for one served entity: scales between `minWorkers` and
/// `maxWorkers` by in-flight load, queues at most `settings.maxQueue` requests (then 429), bounds
/// every request by `settings.requestTimeout`, restarts crashed workers with backoff, retries a
/// request once when its worker dies under it, and drains gracefully on shutdown.
public actor PythonWorkerPool: LoadedModel {
    public nonisolated let kind = "python-pyfunc"
    let label: String
    let endpoint: String
    let entity: String
    let modelDirectory: URL
    let minWorkers: Int
    let maxWorkers: Int
    let environment: [String: String]
    let settings: ServingSettings
    let runner: any ServingTaskRunner
    let observer: any ServingObserver
    let logger: Logger

    private var idle: [PythonWorker] = []
    private var busy = 0
    private var starting = 0
    private var total = 0
    private var nextID = 0
    private var failures = 0
    private var lastFailure: String?
    private var waiters: [(id: Int, deadline: Date, continuation: CheckedContinuation<PythonWorker, any Error>)] = []
    private var reaping = false
    private var stopped = false
    private var maintaining = false

    init(
        label: String, endpoint: String, entity: String, modelDirectory: URL, minWorkers: Int, maxWorkers: Int, environment: [String: String],
        settings: ServingSettings, runner: any ServingTaskRunner, observer: any ServingObserver, logger: Logger
    ) {
        self.label = label
        self.endpoint = endpoint
        self.entity = entity
        self.modelDirectory = modelDirectory
        self.minWorkers = min(minWorkers, maxWorkers)
        self.maxWorkers = maxWorkers
        self.environment = environment
        self.settings = settings
        self.runner = runner
        self.observer = observer
        self.logger = logger
    }

    /// Worker processes alive or starting (for metrics and the endpoint page).
    public var workerCount: Int { total }
    public var queueDepth: Int { waiters.count }
    /// Process ids of the live workers (tests kill them to prove recovery).
    public var workerPIDs: [Int32] { idle.map(\.pid) }

    /// Starts the minimum number of workers and waits until each has loaded the model.
    func start() async throws {
        let script = try PythonWorkerScript.install(in: settings.root)
        var launched: [PythonWorker] = []
        do {
            for _ in 0..<minWorkers {
                let w = try await launch(script: script)
                launched.append(w)
            }
        } catch {
            for w in launched { w.terminate() }
            throw error
        }
        total = launched.count
        idle = launched
        report()
        if !maintaining {
            maintaining = true
            runner.submit { [self] in await maintain() }
        }
    }

    private func launch(script: URL) async throws -> PythonWorker {
        nextID += 1
        let w = PythonWorker(id: nextID)
        try w.launch(python: settings.python, script: script, modelDirectory: modelDirectory, environment: environment)
        let ready: PythonWorker.Reply
        do {
            ready = try await withThrowingTaskGroup(of: PythonWorker.Reply.self) { group in
                group.addTask { try await w.next() }
                group.addTask { [timeout = settings.workerStartTimeout] in
                    try await Task.sleep(for: .seconds(timeout))
                    throw ServingError(.modelLoad, "the Python worker did not load the model within \(Int(timeout)) s")
                }
                defer { group.cancelAll() }
                let first = try await group.next()!
                return first
            }
        } catch let e as ServingError where e.kind == .workerFailed {
            w.terminate()
            throw ServingError(.modelLoad, "the Python worker (\(settings.python)) exited while loading the model; see the server log")
        } catch {
            w.terminate()
            throw error
        }
        guard ready.kind == UInt8(ascii: "R") else {
            w.terminate()
            throw ServingError(.modelLoad, Self.message(ready.body) ?? "the Python worker failed to load the model")
        }
        return w
    }

    static func message(_ body: [UInt8]) -> String? {
        (try? ServingJSON.parse(body))?["message"]?.stringValue
    }

    private func report() {
        observer.workers(endpoint: endpoint, entity: entity, count: total)
        observer.queueDepth(endpoint: endpoint, entity: entity, depth: waiters.count)
    }

    // MARK: - Requests

    public func predict(_ frame: ScoringFrame, params: ServingJSON?) async throws -> String {
        let payload = Array(frame.splitJSON(params: params).utf8)
        let deadline = Date().addingTimeInterval(settings.requestTimeout)
        var attempt = 0
        while true {
            attempt += 1
            let worker = try await checkout(deadline: deadline)
            let remaining = deadline.timeIntervalSinceNow
            do {
                let reply = try await Self.call(worker, payload, timeout: remaining)
                checkin(worker)
                if reply.kind == UInt8(ascii: "O") { return String(decoding: reply.body, as: UTF8.self) }
                let text = Self.message(reply.body) ?? "the model failed to predict"
                let parsed = try? ServingJSON.parse(reply.body)
                if parsed?["model_error"] == .bool(true) { throw ServingError(.predictionFailed, text) }
                let schema = parsed?["error_code"]?.stringValue == "INVALID_PARAMETER_VALUE"
                throw schema ? ServingError.schema(text) : ServingError.badInput(text)
            } catch let e as ServingError where e.kind == .workerFailed {
                discard(worker)
                if attempt >= 2 || deadline.timeIntervalSinceNow <= 0 { throw e }
            } catch let e as ServingError where e.kind == .timeout {
                worker.terminate()
                discard(worker)
                throw e
            }
        }
    }

    private static func call(_ worker: PythonWorker, _ payload: [UInt8], timeout: Double) async throws -> PythonWorker.Reply {
        try await withThrowingTaskGroup(of: PythonWorker.Reply.self) { group in
            group.addTask { try await worker.call(payload) }
            group.addTask {
                try await Task.sleep(for: .seconds(max(0.001, timeout)))
                throw ServingError(.timeout, "the model did not answer within the request timeout")
            }
            do {
                let r = try await group.next()!
                group.cancelAll()
                return r
            } catch {
                // Unblock the call task (if it is the one still running) before the group waits for it.
                worker.terminate()
                group.cancelAll()
                throw error
            }
        }
    }

    private func checkout(deadline: Date) async throws -> PythonWorker {
        guard !stopped else { throw ServingError(.notReady, "served entity \(label) is shutting down") }
        while let w = idle.popLast() {
            if w.isAlive {
                busy += 1
                return w
            }
            discard(w, wasBusy: false)
        }
        guard waiters.count < settings.maxQueue else {
            throw ServingError(.overloaded, "served entity \(label) is at capacity (\(busy) busy workers, \(waiters.count) queued); retry later")
        }
        scaleUpIfNeeded(demand: true)
        let id = nextID &+ waiters.count &+ Int.random(in: 1..<Int.max / 2)
        let w = try await withCheckedThrowingContinuation { (c: CheckedContinuation<PythonWorker, any Error>) in
            waiters.append((id, deadline, c))
            report()
            if !reaping {
                reaping = true
                runner.submit { [self] in await reap() }
            }
        }
        return w
    }

    private func checkin(_ w: PythonWorker) {
        w.lastUsed = Date()
        if stopped {
            busy -= 1
            w.terminate()
            return
        }
        if !w.isAlive {
            discard(w)
            return
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            report()
            waiter.continuation.resume(returning: w)
            return
        }
        busy -= 1
        idle.append(w)
    }

    private func discard(_ w: PythonWorker, wasBusy: Bool = true) {
        if wasBusy { busy -= 1 }
        total -= 1
        w.terminate()
        logger.warning("Python worker exited; restarting", metadata: ["entity": "\(label)", "pid": "\(w.pid)"])
        report()
        scaleUpIfNeeded(demand: !waiters.isEmpty)
    }

    /// Starts one more worker when below the minimum, or when requests wait and there is room.
    private func scaleUpIfNeeded(demand: Bool) {
        guard !stopped, starting == 0, total + starting < maxWorkers, total < minWorkers || demand else { return }
        starting += 1
        runner.submit { [self] in await spawn() }
    }

    private func spawn() async {
        if failures > 0 {
            let backoff = min(5.0, 0.1 * pow(2.0, Double(failures - 1)))
            try? await Task.sleep(for: .seconds(backoff))
        }
        let started: PythonWorker?
        do {
            started = try await launch(script: settings.root.appendingPathComponent(PythonWorkerScript.fileName))
        } catch {
            started = nil
            lastFailure = "\(error)"
            logger.error("Python worker failed to start", metadata: ["entity": "\(label)", "error": "\(error)"])
        }
        starting -= 1
        guard let w = started else {
            failures += 1
            scaleUpIfNeeded(demand: !waiters.isEmpty)
            return
        }
        failures = 0
        if stopped {
            w.terminate()
            return
        }
        total += 1
        busy += 1
        checkin(w)
        report()
        scaleUpIfNeeded(demand: !waiters.isEmpty)
    }

    /// Fails queued requests whose deadline passed (runs while anything waits).
    private func reap() async {
        while true {
            if Task.isCancelled {
                for w in waiters { w.continuation.resume(throwing: ServingError(.notReady, "the server is shutting down")) }
                waiters.removeAll()
                reaping = false
                return
            }
            let now = Date()
            var kept: [(id: Int, deadline: Date, continuation: CheckedContinuation<PythonWorker, any Error>)] = []
            for w in waiters {
                if w.deadline <= now || stopped && total == 0 {
                    w.continuation.resume(throwing: ServingError(.timeout, "no worker of \(label) became free within the request timeout"))
                } else {
                    kept.append(w)
                }
            }
            waiters = kept
            report()
            if waiters.isEmpty {
                reaping = false
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops idle workers above the minimum; restarts dead idle workers.
    private func maintain() async {
        while !stopped {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { return }
            for (k, w) in idle.enumerated().reversed() where !w.isAlive {
                idle.remove(at: k)
                discard(w, wasBusy: false)
            }
            if total > minWorkers, let k = idle.firstIndex(where: { -$0.lastUsed.timeIntervalSinceNow > settings.scaleDownIdle }) {
                let w = idle.remove(at: k)
                total -= 1
                report()
                await w.stop()
            }
            scaleUpIfNeeded(demand: false)
        }
    }

    /// Drains: waits (up to the request timeout) for in-flight and queued requests, then stops every worker.
    public func shutdown() async {
        let deadline = Date().addingTimeInterval(settings.requestTimeout + 1)
        while (busy > 0 || !waiters.isEmpty) && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        stopped = true
        let workers = idle
        idle.removeAll()
        total = 0
        for w in workers { await w.stop() }
        for w in waiters { w.continuation.resume(throwing: ServingError(.notReady, "served entity \(label) was stopped")) }
        waiters.removeAll()
        report()
    }
}
