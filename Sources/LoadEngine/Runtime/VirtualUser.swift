import ContractCore
import LoadMetrics
import NIOCore
import NIOHTTP1
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
    /// In-flight requests are abandoned without being recorded once set.
    let halted = Atomic(false)
    let userAgent: String
    /// Feeders the scenario's templates read (one row of each per iteration).
    let feeders: [Feeder]

    init(scenario: Scenario, target: TargetURL, collectors: [LoopCollector], sequence: RunSequence, userAgent: String) {
        self.scenario = scenario
        self.target = target
        connector = Connector(target: target, connectTimeout: .milliseconds(Int64(min(scenario.timeout, 10) * 1000)))
        self.collectors = collectors
        self.sequence = sequence
        closedModel = !scenario.executor.isOpen
        self.userAgent = userAgent
        let read = Set(scenario.mix.sequences.flatMap { $0.steps.flatMap(\.variables) }.compactMap { $0.split(separator: ".").first.map(String.init) })
        feeders = scenario.feeders.values.filter { read.contains($0.name) }.sorted { $0.name < $1.name }
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }
    var isHalted: Bool { halted.load(ordering: .relaxed) }
}

/// One virtual user: runs iterations (a sequence of steps picked from the scenario's mix) on
/// one keep-alive connection. Driven entirely by its event loop's callbacks — no task or thread
/// per user — so thousands cost little more than their sockets.
final class VirtualUser: @unchecked Sendable {
    // Safe: created on `loop` and only ever touched by code running on `loop`.
    let id: Int
    let loop: any EventLoop
    let loopIndex: Int
    let runtime: ScenarioRuntime
    private var channel: (any Channel)?
    private var handler: ResponseCollector?
    private var scope: RenderScope
    private(set) var iterations = 0
    /// Closed model: stop after the current iteration.
    var retiring = false

    private var steps: [Step] = []
    private var stepIndex = 0
    private var stepIntended: UInt64 = 0
    private var iterationDone: (() -> Void)?
    private var timeoutTask: Scheduled<Void>?

    init(id: Int, loop: any EventLoop, loopIndex: Int, runtime: ScenarioRuntime) {
        self.id = id
        self.loop = loop
        self.loopIndex = loopIndex
        self.runtime = runtime
        scope = RenderScope(sequence: runtime.sequence)
        scope.vu = id
    }

    private var collector: LoopCollector { runtime.collectors[loopIndex] }

    /// Runs one iteration whose first request was due at `intended` (monotonic ns); `done` runs on the loop.
    func runIteration(intended: UInt64, done: @escaping () -> Void) {
        iterations += 1
        scope.iteration = iterations
        scope.variables.removeAll(keepingCapacity: true)
        for feeder in runtime.feeders {
            guard let row = feeder.next() else {
                collector.failed(.other, "feeder '\(feeder.name)' has no rows left (mode \(feeder.mode.rawValue))")
                done()
                return
            }
            for (column, value) in row { scope.variables["\(feeder.name).\(column)"] = value }
        }
        let mix = runtime.scenario.mix
        steps = mix.sequences[mix.pick(using: &scope.random)].steps
        stepIndex = 0
        stepIntended = intended
        iterationDone = done
        runStep()
    }

    /// Closes the connection (at the end of the run).
    func close() {
        timeoutTask?.cancel()
        channel?.close(promise: nil)
        channel = nil
        handler = nil
    }

    private func finishIteration() {
        collector.iterationFinished()
        let done = iterationDone
        iterationDone = nil
        done?()
    }

    private func runStep() {
        guard stepIndex < steps.count, !runtime.isHalted else { return finishIteration() }
        let step = steps[stepIndex]
        if let channel, let handler, channel.isActive, handler.reusable {
            send(step, on: channel, handler)
            return
        }
        channel?.close(promise: nil)
        channel = nil
        runtime.connector.connect(on: loop).whenComplete { result in
            switch result {
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: ResponseCollector.self) else {
                    channel.close(promise: nil)
                    return self.failed(step, sent: MonotonicClock.now(), RequestFailure(kind: .other, message: "the connection has no HTTP handler"))
                }
                if self.runtime.isHalted {
                    channel.close(promise: nil)
                    return self.finishIteration()
                }
                self.channel = channel
                self.handler = handler
                self.send(step, on: channel, handler)
            case .failure(let error):
                self.failed(step, sent: MonotonicClock.now(), RequestFailure(kind: .connect, message: "\(self.runtime.target): \(error)"))
            }
        }
    }

    private func send(_ step: Step, on channel: any Channel, _ handler: ResponseCollector) {
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: step.method), uri: runtime.target.basePath + step.path.render(&scope))
        head.headers.add(name: "Host", value: runtime.target.hostHeader)
        head.headers.add(name: "User-Agent", value: runtime.userAgent)
        for header in step.headers { head.headers.add(name: header.name, value: header.value.render(&scope)) }
        var body: ByteBuffer?
        switch step.body {
        case .text(let template): body = channel.allocator.buffer(string: template.render(&scope))
        case .json(let template): body = channel.allocator.buffer(string: JSONWriter.compact(template.render(&scope)))
        case nil: break
        }
        if let body { head.headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        let sent = MonotonicClock.now()
        handler.expect(keepBody: step.readsBody, bodyLimit: 1 << 20) { result in
            self.timeoutTask?.cancel()
            self.timeoutTask = nil
            switch result {
            case .success(let response): self.responded(step, sent: sent, response)
            case .failure(let failure): self.failed(step, sent: sent, failure)
            }
        }
        let timeout = step.timeout ?? runtime.scenario.timeout
        timeoutTask = loop.scheduleTask(in: .nanoseconds(Int64(MonotonicClock.nanoseconds(timeout)))) {
            self.handler?.abandon(RequestFailure(kind: .timeout, message: "no response within \(DurationText.describe(timeout))"), channel: channel)
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    private func responded(_ step: Step, sent: UInt64, _ collected: CollectedResponse) {
        let ended = MonotonicClock.now()
        guard !runtime.isHalted else { return finishIteration() }
        let response = StepResponse(status: collected.status, headers: collected.headers.map { ($0.name.lowercased(), $0.value) },
                                    body: collected.body, latency: Double(ended &- sent) / 1e9)
        let outcome = step.evaluate(response, scope: &scope)
        collector.record(step: step, intended: stepIntended, sent: sent, ended: ended, status: collected.status, outcome: outcome,
                         correctionInterval: runtime.closedModel ? MonotonicClock.nanoseconds(step.think) : nil)
        if !(handler?.reusable ?? false) { close() }
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
        guard !runtime.isHalted else { return finishIteration() }
        let kind: ErrorClass
        switch failure.kind {
        case .connect: kind = .connect
        case .timeout: kind = .timeout
        case .reset: kind = .reset
        case .other: kind = .other
        }
        var outcome = StepOutcome()
        outcome.error = kind
        outcome.errorDetail = "\(step.name): \(failure.message)"
        collector.record(step: step, intended: stepIntended, sent: sent, ended: ended, status: nil, outcome: outcome, correctionInterval: nil)
        // Without a response the captures later steps need are missing: the iteration ends here.
        finishIteration()
    }
}
