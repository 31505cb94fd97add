import ContractCore
import HTTPWire
import LoadMetrics
import NIOCore
import NIOPosix
import Steps
import Synchronization

/// What every user of a scenario shares: the scenario, where requests go, the per-loop
/// collectors, and the run's stop flags.
final class ScenarioRuntime: Sendable {
    let scenario: Scenario
    let target: TargetURL
    let connector: Connector
    let collectors: [LoopCollector]
    let sequence: RunSequence
    /// Closed-model latency is corrected with each step's think time as the expected interval.
    let closedModel: Bool
    /// No new iterations once set; iterations in flight finish.
    let stopping = Atomic(false)
    /// Once set, requests in flight end as timeouts and nothing new starts.
    let halted = Atomic(false)
    /// Set when the graceful stop is over: iterations start no new request, and the requests in
    /// flight get their own timeout to be answered.
    let winding = Atomic(false)
    /// Requests sent and not yet answered, failed or expired.
    let inFlight = Atomic(0)
    /// The longest any request of the scenario may take, seconds.
    let longestTimeout: Double
    let userAgent: String
    /// Feeders the scenario's templates read (one row of each per iteration).
    let feeders: [Feeder]
    /// The scenario's default request timeout, seconds.
    let timeout: Double
    /// Each request step's bytes, by sequence and item (nil for event expectations).
    let requests: [[RequestBytes?]]
    /// Where event expectations are answered; nil when the run has no broker.
    let events: (any EventSource)?
    /// Under a canary split: how a response names the path that served it.
    let split: PathSplit?
    /// Under a canary split by URL: each side's target, connector and request bytes.
    let sides: [TrafficPath: Side]
    let targets: TargetSplit?

    /// Where one side's requests go.
    struct Side: Sendable {
        let target: TargetURL
        let connector: Connector
        let requests: [[RequestBytes?]]
    }

    /// Where checks with regular expressions run, off the event loops.
    let checkPool: NIOThreadPool

    init(scenario: Scenario, target: TargetURL, collectors: [LoopCollector], sequence: RunSequence, userAgent: String, events: (any EventSource)?,
         split: PathSplit? = nil, targets: TargetSplit? = nil, checkPool: NIOThreadPool, tls: TLSClientContext? = nil) {
        self.events = events
        self.split = split
        self.targets = targets
        self.checkPool = checkPool
        self.scenario = scenario
        self.target = target
        connector = Connector(target: target, connectTimeout: .milliseconds(Int64(min(scenario.timeout, 10) * 1000)), tls: tls)
        self.collectors = collectors
        self.sequence = sequence
        closedModel = !scenario.executor.isOpen
        self.userAgent = userAgent
        let variables = scenario.mix.sequences.flatMap { sequence in sequence.steps.flatMap { step in step.variables } }
        let read = Set(variables.compactMap { $0.split(separator: ".").first.map(String.init) })
        feeders = scenario.feeders.values.filter { read.contains($0.name) }.sorted { $0.name < $1.name }
        timeout = scenario.timeout
        longestTimeout = scenario.mix.sequences.flatMap(\.steps).compactMap(\.timeout).reduce(scenario.timeout, max)
        func bytes(for target: TargetURL) -> [[RequestBytes?]] {
            scenario.mix.sequences.map { sequence in
                sequence.items.map { item in
                    if case .request(let step) = item { return RequestBytes(step: step, target: target, userAgent: userAgent) }
                    return nil
                }
            }
        }
        requests = bytes(for: target)
        var sides: [TrafficPath: Side] = [:]
        if let targets {
            for path in TrafficPath.allCases {
                let target = targets.target(path)
                sides[path] = Side(target: target, connector: Connector(target: target, connectTimeout: .milliseconds(Int64(min(scenario.timeout, 10) * 1000)), tls: tls),
                                   requests: bytes(for: target))
            }
        }
        self.sides = sides
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }
    var isHalted: Bool { halted.load(ordering: .relaxed) }
    var isWinding: Bool { winding.load(ordering: .relaxed) }
}

/// One virtual user: runs iterations (a sequence of steps picked from the scenario's mix) on
/// one keep-alive connection. Driven entirely by its event loop's callbacks — no task or thread
/// per user — so thousands cost little more than their sockets.
final class VirtualUser: ResponseReceiver, @unchecked Sendable {
    // Safe: created on `loop` and only ever touched by code running on `loop`.
    let id: Int
    let loop: WireLoop
    let loopIndex: Int
    let runtime: ScenarioRuntime
    /// The keep-alive connection: the only one, or under a split by URL the current side's.
    private var connection: KeptConnection {
        guard let side, let other = sideConnections[side] else { return defaultConnection }
        return other
    }
    private let defaultConnection: KeptConnection
    /// Under a split by URL: a connection to each side.
    private let sideConnections: [TrafficPath: KeptConnection]
    private var scope: RenderScope
    private(set) var iterations = 0
    /// Closed model: stop after the current iteration.
    var retiring = false
    /// What runs when an iteration ends (the closed model: the next one; the open model: back to
    /// the idle users), made once and kept for the user's life.
    var nextIteration: (() -> Void)?

    private var sequenceIndex = 0
    private var items: [Flow.Item] = []
    /// The sequence has event expectations: responses keep their headers to see where they were routed.
    private var expectsEvents = false
    /// A response of this iteration came from the legacy monolith (no events to expect).
    private var servedByLegacy = false
    /// Under a canary split, the path this user's last answer came from: a request with no
    /// answer counts there (the router keeps a user on one side).
    private var lastPath: TrafficPath?
    /// Under a split by URL, the side this iteration (one visitor) sends to.
    private var side: TrafficPath?
    private var stepIndex = 0
    private var stepIntended: UInt64 = 0
    /// An iteration has started and `nextIteration` has not been called for it yet.
    private var inIteration = false
    /// When the request in flight times out (monotonic ns); 0 when none is in flight.
    private(set) var deadline: UInt64 = 0
    /// When the request in flight was sent (monotonic ns).
    private var sentAt: UInt64 = 0
    private var timeoutSeconds = 0.0

    init(id: Int, loop: WireLoop, loopIndex: Int, runtime: ScenarioRuntime) {
        self.id = id
        self.loop = loop
        self.loopIndex = loopIndex
        self.runtime = runtime
        defaultConnection = KeptConnection(loop: loop, connector: runtime.connector)
        sideConnections = runtime.sides.mapValues { KeptConnection(loop: loop, connector: $0.connector) }
        collector = runtime.collectors[loopIndex]
        scope = RenderScope(sequence: runtime.sequence)
        scope.vu = id
    }

    private let collector: LoopCollector

    /// When the user's next iteration is due, once one has ended: as its last answer came, or
    /// after the think time that followed it (a late timer makes the next request late, and the
    /// corrected latency shows it). Nil before the first.
    var nextIterationDue: UInt64? { stepIntended == 0 ? nil : stepIntended }

    /// Runs one iteration whose first request was due at `intended` (monotonic ns);
    /// `nextIteration` runs on the loop once it ends.
    func runIteration(intended: UInt64) {
        iterations += 1
        inIteration = true
        scope.iteration = iterations
        // Under a split by URL, each iteration — one visitor — stays on one side, `percent` of them on the canary.
        if let targets = runtime.targets {
            side = targets.path(forUser: id &* 1_000_003 &+ iterations)
            lastPath = side
        }
        scope.variables.removeAll(keepingCapacity: true)
        for feeder in runtime.feeders {
            guard let row = feeder.next() else {
                collector.failed(.other, "feeder '\(feeder.name)' has no rows left (mode \(feeder.mode.rawValue))")
                // A closed-model user has nothing left to do.
                retiring = true
                inIteration = false
                loop.assumeIsolated().execute { self.nextIteration?() }
                return
            }
            for (column, value) in row { scope.variables["\(feeder.name).\(column)"] = value }
        }
        let picked = runtime.scenario.mix.pick(using: &scope.random)
        // The same sequence as the last iteration (always, with one): its items are already here.
        if picked != sequenceIndex || items.isEmpty {
            sequenceIndex = picked
            items = runtime.scenario.mix.sequences[picked].items
            expectsEvents = runtime.scenario.mix.sequences[picked].expectsEvents
        }
        servedByLegacy = false
        stepIndex = 0
        stepIntended = intended
        runStep()
    }

    /// Closes the connection (at the end of the run).
    func close() {
        clearDeadline()
        defaultConnection.drop()
        for other in sideConnections.values { other.drop() }
    }

    /// At the end of the run: a request still in flight is recorded as a timeout (the target did
    /// not answer it in time), never dropped; then the connection closes.
    func endRun(gracefulStop: Double) {
        if deadline != 0, stepIndex < items.count, case .request(let step) = items[stepIndex] {
            collector.unfinished(step: step, intended: stepIntended, sent: sentAt,
                                 detail: "\(step.name): no response by the end of the run (graceful stop \(DurationText.describe(gracefulStop)))")
        }
        close()
    }

    /// Called by the loop's sweep: ends the request in flight if its time is up.
    func expireIfLate(now: UInt64) {
        guard deadline != 0, now > deadline, let wire = connection.current else { return }
        clearDeadline()
        wire.abandon(RequestFailure(kind: .timeout, message: "no response within \(DurationText.describe(timeoutSeconds))"))
    }

    /// No request is in flight any more.
    private func clearDeadline() {
        guard deadline != 0 else { return }
        deadline = 0
        runtime.inFlight.subtract(1, ordering: .relaxed)
    }

    private func finishIteration() {
        collector.iterationFinished()
        guard inIteration else { return }
        inIteration = false
        nextIteration?()
    }

    private func runStep() {
        guard stepIndex < items.count, !runtime.isHalted, !runtime.isWinding else { return finishIteration() }
        let step: Step
        switch items[stepIndex] {
        case .request(let request): step = request
        case .event(let expectation): return awaitEvent(expectation)
        }
        let connection = self.connection
        // The common case, a kept connection: no closures to allocate.
        if connection.isReusable, let wire = connection.current { return send(step, through: wire) }
        clearDeadline()
        connection.acquire(for: self, wanted: { !self.runtime.isHalted },
                           ready: { wire in self.send(step, through: wire) },
                           unwanted: { self.finishIteration() },
                           failed: { failure in self.failed(step, sent: MonotonicClock.now(), failure) })
    }

    private func send(_ step: Step, through wire: WireConnection) {
        let bytes: ByteBuffer
        let sideOf = side.flatMap { runtime.sides[$0] }
        if sideOf == nil, let constant = runtime.requests[sequenceIndex][stepIndex]?.constant {
            bytes = constant
        } else if let constant = sideOf?.requests[sequenceIndex][stepIndex]?.constant {
            bytes = constant
        } else {
            do {
                bytes = try RequestBytes.render(step, target: sideOf?.target ?? runtime.target, userAgent: runtime.userAgent, scope: &scope)
            } catch {
                return failed(step, sent: MonotonicClock.now(), error)
            }
        }
        if let handshake = connection.takeHandshake() { collector.handshake(step: step, nanoseconds: handshake, path: lastPath) }
        sentAt = MonotonicClock.now()
        wire.expect(methodIsHead: step.method == "HEAD", keepHeaders: step.readsHeaders || expectsEvents || runtime.split != nil, keepBody: step.readsBody)
        let timeout = step.timeout ?? runtime.timeout
        deadline = sentAt + MonotonicClock.nanoseconds(timeout)
        runtime.inFlight.add(1, ordering: .relaxed)
        timeoutSeconds = timeout
        wire.send(bytes)
    }

    func received(_ result: Result<CollectedResponse, RequestFailure>) {
        clearDeadline()
        guard case .request(let step) = items[stepIndex] else { return }
        switch result {
        case .success(let response): responded(step, sent: sentAt, response)
        case .failure(let failure): failed(step, sent: sentAt, failure)
        }
    }

    /// Waits for an event (a check of the iteration), then goes on with the next item.
    private func awaitEvent(_ expectation: EventExpectation) {
        let check = "event \(expectation.name)"
        if servedByLegacy {
            stepIndex += 1
            return loop.execute { self.runStep() }
        }
        guard let events = runtime.events else {
            collector.eventChecked(check, passed: false)
            stepIndex += 1
            return loop.execute { self.runStep() }
        }
        let expected = expectation.expectedValues(&scope)
        let loop = self.loop
        events.expect(topic: expectation.topic, matching: expected, within: expectation.within) { event, _ in
            loop.execute { self.eventResolved(expectation, check: check, event: event) }
        }
    }

    private func eventResolved(_ expectation: EventExpectation, check: String, event: JSONValue?) {
        // What follows was due once the event was in (not when the last answer came).
        stepIntended = MonotonicClock.now()
        guard !runtime.isHalted else { return finishIteration() }
        collector.eventChecked(check, passed: event != nil)
        if let event {
            for capture in expectation.captures {
                if case .json(let path) = capture.source, let value = JSONQuery.first(path, in: event) { scope.variables[capture.variable] = value }
            }
        }
        stepIndex += 1
        runStep()
    }

    private func responded(_ step: Step, sent: UInt64, _ collected: CollectedResponse) {
        let ended = MonotonicClock.now()
        let response = StepResponse(status: collected.status, headers: collected.headers, body: collected.body, latency: Double(ended &- sent) / 1e9)
        guard step.matchesPatterns else {
            return evaluated(step, sent: sent, ended: ended, collected, step.evaluate(response, scope: &scope))
        }
        // A regular expression may take long on the wrong text: evaluated on the check pool, so the
        // loop goes on serving the other users (and their latency is not charged with it).
        let scope = self.scope
        runtime.checkPool.runIfActive(eventLoop: loop) { () -> (StepOutcome, RenderScope) in
            var evaluatedScope = scope
            return (step.evaluate(response, scope: &evaluatedScope), evaluatedScope)
        }.whenComplete { result in
            switch result {
            case .success(let (outcome, evaluatedScope)):
                self.scope = evaluatedScope
                self.evaluated(step, sent: sent, ended: ended, collected, outcome)
            case .failure(let error):
                var outcome = StepOutcome()
                outcome.error = .other
                outcome.errorDetail = "\(step.name): the checks could not run: \(error)"
                self.evaluated(step, sent: sent, ended: ended, collected, outcome)
            }
        }
    }

    /// Records a response with its checks' outcome and goes on with the iteration.
    private func evaluated(_ step: Step, sent: UInt64, ended: UInt64, _ collected: CollectedResponse, _ outcome: StepOutcome) {
        if expectsEvents, LegacyRouting.servedByLegacy(collected.headers) { servedByLegacy = true }
        if let split = runtime.split, side == nil { lastPath = split.path(collected.headers) }
        collector.record(step: step, intended: stepIntended, sent: sent, ended: ended, status: collected.status, outcome: outcome,
                         correctionInterval: runtime.closedModel ? MonotonicClock.nanoseconds(step.think) : nil, path: lastPath)
        // An answer that came as the run ended still counts; nothing follows it.
        guard !runtime.isHalted else { return finishIteration() }
        if !connection.isReusable { close() }
        stepIndex += 1
        guard step.think > 0 else {
            stepIntended = ended
            return runStep()
        }
        stepIntended = ended + MonotonicClock.nanoseconds(step.think)
        loop.scheduleTask(in: .nanoseconds(Int64(MonotonicClock.nanoseconds(step.think)))) { self.runStep() }
    }

    private func failed(_ step: Step, sent: UInt64, _ failure: RequestFailure) {
        let ended = MonotonicClock.now()
        close()
        let kind: ErrorClass
        switch failure.kind {
        case .connect: kind = .connect
        case .tls: kind = .tls
        case .timeout: kind = .timeout
        case .reset: kind = .reset
        case .other: kind = .other
        }
        var outcome = StepOutcome()
        outcome.error = kind
        outcome.errorDetail = "\(step.name): \(failure.message)"
        collector.record(step: step, intended: stepIntended, sent: sent, ended: ended, status: nil, outcome: outcome, correctionInterval: nil, path: lastPath)
        stepIntended = ended
        guard !runtime.isHalted else { return finishIteration() }
        // Without a response the captures later steps need are missing: the iteration ends here,
        // from a fresh call of the loop (a failure can come before any I/O: no recursion).
        loop.execute { self.finishIteration() }
    }
}
