import SLO

/// A kind of metric trigger the gate reads around a stage's load, cut as Argo Rollouts cuts its
/// metric providers (`metric/provider.go`: one interface, a folder per provider): the gate calls
/// these steps in order and nothing else, so another backend adds a provider, not code in `GateRun`.
package protocol MetricProvider: Sendable {
    /// Before anything of the stage runs (a counter's first reading). Returns what could not be read.
    func begin() async -> [String]
    /// While the load runs, from `start`: returns when its work is done or its task is cancelled
    /// (the load has ended), keeping what it measured.
    func measureDuringLoad(since start: ContinuousClock.Instant) async
    /// Once the load has ended (not after a stopped gate). Returns what could not be read.
    func finish(since start: ContinuousClock.Instant) async -> [String]
    /// What it found, into the parts the trigger policy judges and the report shows.
    func contribute(to parts: inout GateParts)
}
