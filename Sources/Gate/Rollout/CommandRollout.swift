import Foundation
import Steps
import Transport

/// A rollout percentage set (and read back) by commands: `kubectl argo rollouts set weight`,
/// a deploy script, a CLI of a flag service. `${percent}` in an argument is the percentage
/// times `scale`; the read-back command prints the current value.
package final class CommandRollout: RolloutControl {
    package struct Spec: Sendable {
        package var set: [String]
        package var get: [String]
        package var timeout: Double
        package var scale: Double
    }

    package let spec: Spec

    package init(_ spec: Spec) { self.spec = spec }

    package var renewEvery: Double { 3600 }

    package func current() async throws -> Int {
        let spec = self.spec
        let result = try await BlockingWork.run { try Self.execute(spec.get, timeout: spec.timeout) }
        let printed = result.out.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Double(printed.split(separator: "\n").last.map(String.init) ?? "") else {
            throw GateSetupError("rollout: \(spec.get.first ?? "") printed no number: '\(printed.prefix(200))'")
        }
        return try HTTPRollout.percent(value, scale: spec.scale, source: "what \(spec.get.first ?? "") printed")
    }

    package func set(_ percent: Int) async throws {
        let spec = self.spec, arguments = fill(percent)
        _ = try await BlockingWork.run { try Self.execute(arguments, timeout: spec.timeout) }
    }

    package func acquire(holder: String) async throws {}
    package func renew() async -> Bool { true }
    package func release() async {}

    package func restoreNow(_ percent: Int) { _ = try? Self.execute(fill(percent), timeout: min(spec.timeout, 5)) }

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
