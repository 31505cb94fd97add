/// Where a gate sets the rollout: the bundled gateway's admin API today (`GatewayRollout`);
/// a flag service or a command plug in here too.
package protocol RolloutControl: Sendable {
    /// Where the rollout is now, in percent.
    func current() async throws -> Int
    /// Takes the rollout for this gate: a second gate is refused while it holds it.
    func acquire(holder: String) async throws
    /// Keeps the rollout for a while longer; false when it was lost.
    func renew() async -> Bool
    /// Gives the rollout back.
    func release() async
    /// Sets the rollout to `percent`.
    func set(_ percent: Int) async throws
    /// Sets the rollout to `percent` and gives it back, blocking, from any thread: the last thing
    /// a process does on a second Ctrl-C, when the cooperative pool can no longer be waited for.
    func restoreNow(_ percent: Int)
    /// How often `renew` must be called.
    var renewEvery: Double { get }
}
