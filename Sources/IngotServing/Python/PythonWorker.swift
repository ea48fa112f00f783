import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One Python worker process and its pipes. A dedicated thread reads reply frames (so no blocking
/// read ever runs on the cooperative pool) and hands each to the one call in flight.
final class PythonWorker: @unchecked Sendable {
    struct Reply {
        var kind: UInt8
        var body: [UInt8]
    }

    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var pending: CheckedContinuation<Reply, any Error>?
    private var early: Result<Reply, any Error>?
    private(set) var exited = false
    var lastUsed = Date()
    let id: Int

    static let ignoreSigpipe: Void = { signal(SIGPIPE, SIG_IGN) }()

    init(id: Int) { self.id = id }

    /// Starts `python worker.py <model dir>`; the reply to the first ``next()`` is the ready frame.
    func launch(python: String, script: URL, modelDirectory: URL, environment: [String: String]) throws {
        _ = Self.ignoreSigpipe
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-u", script.path, modelDirectory.path]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-u", script.path, modelDirectory.path]
        }
        // The server's own settings and credentials (INGOT_*) are not the model's business.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("INGOT_") }
        for (k, v) in environment { env[k] = v }
        env["PYTHONUNBUFFERED"] = "1"
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ServingError(.modelLoad, "cannot start the Python interpreter '\(python)': \(error.localizedDescription)")
        }
        let fd = output.fileHandleForReading.fileDescriptor
        let thread = Thread { [self] in readLoop(fd: fd) }
        thread.name = "ingot-pyworker-\(id)"
        thread.start()
    }

    private func readLoop(fd: Int32) {
        while true {
            guard let head = Self.readExact(fd, 4) else { break }
            let n = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
            guard n >= 1, n < 1 << 31, let body = Self.readExact(fd, n) else { break }
            deliver(.success(Reply(kind: body[0], body: Array(body[1...]))))
        }
        lock.lock()
        exited = true
        lock.unlock()
        deliver(.failure(ServingError(.workerFailed, "the Python worker exited")))
    }

    private func deliver(_ result: Result<Reply, any Error>) {
        lock.lock()
        let c = pending
        pending = nil
        if c == nil, early == nil, case .success = result { early = result }
        lock.unlock()
        c?.resume(with: result)
    }

    static func readExact(_ fd: Int32, _ n: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return nil }
            got += r
        }
        return buf
    }

    var isAlive: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !exited && process.isRunning
    }

    /// Waits for the next reply frame (the ready frame, or the reply to a sent request).
    func next() async throws -> Reply {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Reply, any Error>) in
            lock.lock()
            if let e = early {
                early = nil
                lock.unlock()
                c.resume(with: e)
                return
            }
            if exited {
                lock.unlock()
                c.resume(throwing: ServingError(.workerFailed, "the Python worker exited"))
                return
            }
            pending = c
            lock.unlock()
        }
    }

    /// Sends one request frame and waits for its reply.
    func call(_ payload: [UInt8]) async throws -> Reply {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Reply, any Error>) in
            lock.lock()
            if exited {
                lock.unlock()
                c.resume(throwing: ServingError(.workerFailed, "the Python worker exited"))
                return
            }
            pending = c
            lock.unlock()
            var frame = [UInt8]()
            frame.reserveCapacity(payload.count + 4)
            let n = UInt32(payload.count)
            frame.append(contentsOf: [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
            frame.append(contentsOf: payload)
            let fd = input.fileHandleForWriting.fileDescriptor
            var sent = 0
            while sent < frame.count {
                let w = frame.withUnsafeBytes { write(fd, $0.baseAddress! + sent, frame.count - sent) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 {
                    // The reader thread reports the exit; make sure it does by killing the process.
                    terminate()
                    return
                }
                sent += w
            }
        }
    }

    /// Kills the process (SIGKILL); the reader thread then fails any call in flight.
    func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? input.fileHandleForWriting.close()
    }

    /// Closes stdin so the worker exits on its own; kills it if it lingers.
    func stop() async {
        try? input.fileHandleForWriting.close()
        for _ in 0..<50 where process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        terminate()
    }

    var pid: Int32 { process.processIdentifier }
}
