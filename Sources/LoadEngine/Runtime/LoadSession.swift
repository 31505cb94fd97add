import Foundation
package import Steps

/// One load run from a profile to its judged result — prepare, run, result — as `tollgate load`,
/// the demo and the gate all make one: the objectives checked against what the profile sends
/// before anything starts, the run (sharded as the options say), and the result.
package struct LoadSession: Sendable {
    /// The run itself (the profile as sharded): stop it to end the session early.
    package let run: LoadRun
    package let tollgateVersion: String

    /// An objective that selects a request name or tag the profile never sends.
    package struct UnknownSelection: Error, CustomStringConvertible {
        package let selections: [String]
        package var description: String { "the objectives select nothing the load sends:\n" + selections.map { "  " + $0 }.joined(separator: "\n") }
    }

    /// Prepares a run of `profile` against `target`; throws `UnknownSelection` (nothing started)
    /// when an objective selects what the profile does not send.
    package init(profile: LoadProfile, target: TargetURL, options: RunOptions = RunOptions(), tollgateVersion: String) throws(UnknownSelection) {
        let unknown = profile.unknownSelections(in: profile.objectives)
        guard unknown.isEmpty else { throw UnknownSelection(selections: unknown) }
        run = LoadRun(profile: profile, target: target, options: options)
        self.tollgateVersion = tollgateVersion
    }

    /// Runs to the end (or until `run.stop`), calling `progress` once a second; the result,
    /// its objectives judged on everything measured.
    package func result(progress: @escaping @Sendable (ProgressSnapshot) -> Void = { _ in }) async throws -> LoadResult {
        let outcome = try await run.run(progress: progress)
        return LoadResult(profile: run.profile, outcome: outcome, target: run.target.description, shard: run.options.shard, tollgateVersion: tollgateVersion,
                          runID: run.options.runID)
    }
}
