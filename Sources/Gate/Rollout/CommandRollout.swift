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
    /// exit, a run longer than `timeout` seconds (then ended, SIGKILL after 2 s) or more than
    /// 1 MB printed throws with its error output. It never outlives the gate (`BoundedCommand`).
    static func execute(_ arguments: [String], timeout: Double) throws -> (out: String, err: String) {
        let name = arguments.first ?? ""
        let result: BoundedCommand.Output
        do { result = try BoundedCommand.run(arguments, timeout: timeout) } catch {
            throw GateSetupError("rollout: \(name): \(error)")
        }
        guard result.status == 0 else {
            throw GateSetupError("rollout: \(name) exited \(result.status): \(OutsideText.printable(String(result.err.trimmingCharacters(in: .whitespacesAndNewlines).suffix(300))))")
        }
        return (result.out, result.err)
    }
}
