import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one process for a python or shell task: output appended to the task log, SIGTERM then
/// SIGKILL (after a grace period) when the surrounding task is canceled (a timeout or a run cancel).
enum ProcessTask {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var process: Process?
        var canceled = false
    }

    /// - Returns: the exit status (a signal-terminated process reports 128 + signal).
    static func run(arguments: [String], environment: [String: String], log: URL, graceSeconds: Double) async throws -> Int32 {
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        let box = Box()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The server ignores SIGTERM (ServiceLifecycle handles it through a dispatch source) and ignored
        // signals are inherited: restore the default so a task can be stopped or trap the signal.
        p.arguments = (defaultSignalsSupported ? ["--default-signal=TERM,INT,HUP"] : []) + arguments
        p.environment = environment
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Int32, any Error>) in
                p.terminationHandler = { proc in
                    c.resume(returning: proc.terminationReason == .uncaughtSignal ? 128 + proc.terminationStatus : proc.terminationStatus)
                }
                box.lock.lock()
                defer { box.lock.unlock() }
                if box.canceled {
                    p.terminationHandler = nil
                    c.resume(throwing: CancellationError())
                    return
                }
                do {
                    try p.run()
                    box.process = p
                } catch {
                    p.terminationHandler = nil
                    c.resume(throwing: JobError.invalid("cannot start \(arguments.first ?? "process"): \(error.localizedDescription)"))
                }
            }
        } onCancel: {
            box.lock.lock()
            box.canceled = true
            let proc = box.process
            box.lock.unlock()
            guard let proc, proc.isRunning else { return }
            let pid = proc.processIdentifier
            signal(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + graceSeconds) {
                if proc.isRunning { signal(pid, SIGKILL) }
            }
        }
    }

    /// Whether `/usr/bin/env` understands `--default-signal` (GNU coreutils 8.31+).
    static let defaultSignalsSupported: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM", "true"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Signals the process and, when it leads its own process group, the whole group.
    static func signal(_ pid: Int32, _ sig: Int32) {
        if getpgid(pid) == pid { _ = kill(-pid, sig) }
        _ = kill(pid, sig)
    }

    /// Keeps only the last `limit` bytes of a log, marking the cut.
    static func trim(_ url: URL, limit: Int) {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: url.path), let size = attrs[.size] as? Int, size > limit,
            let h = try? FileHandle(forReadingFrom: url)
        else { return }
        try? h.seek(toOffset: UInt64(size - limit))
        let tail = (try? h.readToEnd()) ?? Data()
        try? h.close()
        var out = Data("[log truncated: first \(size - limit) bytes dropped]\n".utf8)
        out.append(tail)
        try? out.write(to: url, options: .atomic)
    }

    /// The last `limit` bytes of a log as text.
    static func tail(_ url: URL, limit: Int) -> (String, Bool) {
        guard let data = try? Data(contentsOf: url) else { return ("", false) }
        if data.count <= limit { return (String(decoding: data, as: UTF8.self), false) }
        return (String(decoding: data.suffix(limit), as: UTF8.self), true)
    }
}
