import Foundation
import Steps
import Transport

/// A rollout percentage set (and read back) by commands: `kubectl argo rollouts set weight`,
/// a deploy script, a CLI of a flag service. `${percent}` in an argument is the percentage
/// times `scale`; the read-back command prints the current value.
public final class CommandRollout: RolloutControl {
    public struct Spec: Sendable {
        public var set: [String]
        public var get: [String]
        public var timeout: Double
        public var scale: Double
    }

    public let spec: Spec

    public init(_ spec: Spec) { self.spec = spec }

    public var renewEvery: Double { 3600 }

    public func current() async throws -> Int {
        let spec = self.spec
        let result = try await BlockingWork.run { try Self.execute(spec.get, timeout: spec.timeout) }
        let printed = result.out.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Double(printed.split(separator: "\n").last.map(String.init) ?? "") else {
            throw GateSetupError("rollout: \(spec.get.first ?? "") printed no number: '\(printed.prefix(200))'")
        }
        return try HTTPRollout.percent(value, scale: spec.scale, source: "what \(spec.get.first ?? "") printed")
    }

    public func set(_ percent: Int) async throws {
        let spec = self.spec, arguments = fill(percent)
        _ = try await BlockingWork.run { try Self.execute(arguments, timeout: spec.timeout) }
    }

    public func acquire(holder: String) async throws {}
    public func renew() async -> Bool { true }
    public func release() async {}

    public func restoreNow(_ percent: Int) { _ = try? Self.execute(fill(percent), timeout: min(spec.timeout, 5)) }

    private func fill(_ percent: Int) -> [String] {
        let value = QueryCheck.format(Double(percent) * spec.scale)
        return spec.set.map { $0.replacingOccurrences(of: "${percent}", with: value) }
    }

    /// Runs `arguments` (the first found on the PATH) and returns what it printed; a non-zero
    /// exit, or a run longer than `timeout` seconds (then killed), throws with its error output.
    static func execute(_ arguments: [String], timeout: Double) throws -> (out: String, err: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-rollout-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outFile = folder.appendingPathComponent("out"), errFile = folder.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        do { try process.run() } catch { throw GateSetupError("rollout: cannot run \(arguments.first ?? ""): \(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        let out = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        if timedOut { throw GateSetupError("rollout: \(arguments.first ?? "") did not finish within \(DurationText.describe(timeout)) (stopped)") }
        guard process.terminationStatus == 0 else {
            throw GateSetupError("rollout: \(arguments.first ?? "") exited \(process.terminationStatus): \(err.trimmingCharacters(in: .whitespacesAndNewlines).suffix(300))")
        }
        return (out, err)
    }
}
