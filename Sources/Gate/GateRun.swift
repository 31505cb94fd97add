package import CanaryJudge
package import Consistency
package import Flows
package import Foundation
import PactBroker
package import LoadEngine
import LoadMetrics
package import ResponseParity
import SLO
package import Steps
import Synchronization
import Transport
package import Verifier

/// How one stage is checked: which stage, whether the verdict is applied, and what the gate
/// file's `${NAME:-default}` are filled from.
package struct GateOptions: Sendable {
    /// The rollout percentage to check: a stage the gate file lists (or a halved one, with `profileStage`).
    package var stage: Int
    /// The listed stage whose load profile runs (default `stage`): a rollout judging a halved
    /// stage runs the nearest listed one's.
    package var profileStage: Int?
    /// A stage with no load (`none`): how long the traffic already there is watched (default 1 minute).
    package var observationWindow: Double?
    /// Apply the verdict to the rollout (reduce → half the stage, roll back → 0 %).
    package var autoRollback = false
    /// Shorten the stage's load to this many seconds (its shape kept).
    package var duration: Double?
    /// Overrides the gate file's `kafka_brokers`.
    package var kafkaBrokers: String?
    package var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Sent as `User-Agent` by the flows and the load; the version is written into the results.
    package var tollgateVersion = "dev"

    package init(stage: Int) { self.stage = stage }
}

/// What a running gate tells its caller, as it happens (the command prints it).
package enum GateEvent: Sendable {
    /// The rollout was taken and set to the stage.
    case started(gate: String, before: Int, stage: Int)
    case contractsStarted(pacts: [String])
    /// One interaction that failed (passing ones are in the report).
    case contractFailed(InteractionResult)
    case contractsFinished(VerificationReport)
    case flowsStarted
    case flowRun(FlowResult)
    case loadStarted(LoadProfile, TargetURL)
    case loadProgress(ProgressSnapshot)
    case loadFinished(LoadResult)
    case metricsStarted
    case metric(GateFile.MetricCheck, GateReport.MetricReading)
    /// A PromQL trigger's measurement, as it is taken.
    case measured(QueryCheck, QueryMeasurement)
    case consistencyStarted
    /// Requests of the load still unanswered: the comparison waits this long first.
    case settling(unanswered: Int, seconds: Double)
    case compared(name: String, TableComparison)
    /// The canary judged against the baseline on the stage's load.
    case judged(Judgement)
    case parityStarted
    case parityFinished(ParityReport)
    /// A stage with no load: the traffic already there is watched this long.
    case observing(seconds: Double)
    /// Something the operator should know that is not a result (a lost lease).
    case warning(String)
    /// Ctrl-C or SIGTERM: the gate stops the phase under way and puts the rollout back.
    case stopping(backTo: Int)
}

/// One rollout stage checked from start to verdict: the rollout set to the stage → contracts →
/// flows → the stage's load → service metrics → data consistency → triggers → verdict → the
/// rollout applied or put back. Library type: `tollgate gate` and `tollgate demo` call it.
package final class GateRun: Sendable {
    package let file: String
    package let options: GateOptions
    package let gate: GateFile
    /// The stage's load; nil for a stage judged on the traffic already there.
    package let profile: LoadProfile?
    let flows: [Flow]
    let brokers: String?
    let rollout: any RolloutControl
    let metrics: any MetricSource
    /// Where the rollout was when the gate began.
    package let before: Int
    /// A credential the parts use: the admin token (provider states, exports, service-to-service pacts).
    let credential: String?
    package let started: Date
    let abortState = GateAbort()
    /// Why the gate no longer holds the rollout (its lease ran out or was taken), once it does not.
    private let leaseLost = Mutex<String?>(nil)

    /// Reads the gate file and the stage's files, and takes and sets the rollout. Throws
    /// `GateSetupError` when the gate cannot start (nothing is changed then); `GateStart.gate`
    /// tells how far it got, for the report.
    package static func start(file: String, options: GateOptions, metrics: any MetricSource = HTTPMetricSource(),
                             rollout makeRollout: (GateFile) async throws -> (any RolloutControl, credential: String?) = GateRun.rolloutControl)
        async throws(GateStartError) -> GateRun {
        let started = Date()
        let gate: GateFile, profile: LoadProfile?, flows: [Flow]
        do {
            gate = try GateLoader.load(file: file, environment: options.environment)
        } catch let error as FileProblems {
            throw GateStartError(message: "the gate's files have \(error.problems.count) problem(s):\n\(error)", gate: nil, started: started)
        } catch {
            throw GateStartError(message: "\(error)", gate: nil, started: started)
        }
        func fail(_ message: String) -> GateStartError { GateStartError(message: message, gate: gate, started: started) }
        do {
            (profile, flows) = try Self.stageFiles(gate, file: file, options: options)
        } catch let error as FileProblems {
            throw fail("the gate's files have \(error.problems.count) problem(s):\n\(error)")
        } catch {
            throw fail("\(error)")
        }
        let brokers = options.kafkaBrokers ?? gate.kafkaBrokers
        let topics = Set(flows.flatMap(\.topics)).union(profile?.eventTopics ?? [])
        if !topics.isEmpty, brokers == nil {
            throw fail("the flows expect events on \(topics.sorted().joined(separator: ", ")): give --kafka-brokers HOST:PORT (tollgate services up prints it) or kafka_brokers in \(file)")
        }
        let control: any RolloutControl, credential: String?, before: Int
        do {
            var made = try await makeRollout(gate)
            // A lock the gate file names is taken with the rollout (the gateway's lease besides).
            if let lock = gate.lock { made.0 = LockedRollout(made.0, lock: Self.rolloutLock(lock)) }
            (control, credential) = made
            before = try await control.current()
            // A second gate on this gateway is refused while this one holds the rollout.
            try await control.acquire(holder: "gate \(gate.name) stage \(options.stage) (\(ProcessInfo.processInfo.hostName), pid \(ProcessInfo.processInfo.processIdentifier))")
            do { try await control.set(options.stage) } catch {
                await control.release()
                throw error
            }
        } catch let holder as RolloutHeld {
            var error = GateStartError(message: "\(holder)", gate: gate, started: started, pauses: true)
            error.held = true
            throw error
        } catch {
            throw fail("\(error)")
        }
        // The value read back must be the stage: a flag service that ignored the change (or a
        // gateway someone else moved) is no stage to judge.
        let readBack: Int
        do { readBack = try await control.current() } catch {
            try? await control.set(before)
            await control.release()
            throw GateStartError(message: "could not set the rollout: reading it back failed: \(error)", gate: gate, started: started, pauses: true)
        }
        guard readBack == options.stage else {
            try? await control.set(before)
            await control.release()
            throw GateStartError(message: "could not set the rollout: it was set to \(options.stage) % but reads back \(readBack) %; put back at \(before) %",
                                 gate: gate, started: started, pauses: true)
        }
        return GateRun(file: file, options: options, gate: gate, profile: profile, flows: flows, brokers: brokers, rollout: control, metrics: metrics,
                       before: before, credential: credential, started: started)
    }

    /// What the gate file's `rollout:` names: the bundled gateway (logged in with its admin
    /// credentials), a flag service or API over HTTP, or commands.
    @Sendable package static func rolloutControl(_ gate: GateFile) async throws -> (any RolloutControl, credential: String?) {
        switch gate.rollout {
        case .gateway: return try await gatewayRollout(gate)
        case .http(let spec): return (HTTPRollout(spec), gate.gateway?.adminToken)
        case .command(let spec): return (CommandRollout(spec), gate.gateway?.adminToken)
        }
    }

    /// The lock the gate file's `lock:` names.
    static func rolloutLock(_ lock: GateFile.Lock) -> any RolloutLock {
        switch lock {
        case .file(let path): return FileRolloutLock(path: path)
        case .postgres(let database, let name): return PostgresRolloutLock(url: database, name: name)
        case .command(let acquire, let renew, let release, let timeout): return CommandRolloutLock(acquire: acquire, renew: renew, release: release, timeout: timeout)
        }
    }

    /// The bundled gateway named by the gate file, logged in with its admin credentials.
    @Sendable package static func gatewayRollout(_ gate: GateFile) async throws -> (any RolloutControl, credential: String?) {
        guard let settings = gate.gateway else { throw GateSetupError("the rollout is the gateway's, and the gate file names no gateway") }
        let gateway = GatewayRollout(url: settings.url)
        _ = try await gateway.current()  // reachable, before any credential is tried
        try await gateway.authenticate(token: settings.adminToken, email: settings.adminEmail, password: settings.adminPassword)
        return (gateway, gateway.token)
    }

    private init(file: String, options: GateOptions, gate: GateFile, profile: LoadProfile?, flows: [Flow], brokers: String?, rollout: any RolloutControl,
                 metrics: any MetricSource, before: Int, credential: String?, started: Date) {
        self.file = file
        self.options = options
        self.gate = gate
        self.profile = profile
        self.flows = flows
        self.brokers = brokers
        self.rollout = rollout
        self.metrics = metrics
        self.before = before
        self.credential = credential
        self.started = started
    }

    /// The stage's load profile (aimed at the gateway, judged by the gate's objectives,
    /// shortened as asked) and the flows.
    static func stageFiles(_ gate: GateFile, file: String, options: GateOptions) throws -> (LoadProfile?, [Flow]) {
        let listed = options.profileStage ?? options.stage
        let flows = try gate.flows.map { try FlowLoader.load(file: $0, environment: options.environment) }
        if gate.observedStages.contains(listed) { return (nil, flows) }
        guard let profileFile = gate.stages[listed] else {
            throw GateSetupError("\(file): stages: no stage \(options.stage) (the file lists \(gate.allStages.map { "\($0)" }.joined(separator: ", ")))")
        }
        var profile = try ProfileLoader.load(file: profileFile, environment: options.environment)
        profile.target = gate.target.description
        // The guide's defaults keep the payment trigger only where some step is tagged payment.
        profile.objectives = gate.objectivesAreDefaults ? gate.objectives.filter { profile.unknownSelections(in: [$0]).isEmpty } : gate.objectives
        let unknown = profile.unknownSelections(in: profile.objectives)
        guard unknown.isEmpty else { throw GateSetupError("\(file): slos: \(unknown.joined(separator: "; ")) in the stage profile \(profileFile)") }
        if let seconds = options.duration { profile = profile.shortened(to: seconds) }
        return (profile, flows)
    }

    /// Stops the gate: the phase under way ends within seconds, the rollout goes back where it
    /// was, and the report says why.
    package func abort(_ reason: String) { abortState.abort(reason) }

    /// The last thing a process does when a second signal ends it at once: the rollout back
    /// where it was and given back, blocking.
    package func restoreNow() {
        // A gate that lost the rollout to another leaves it where the other put it.
        guard leaseLost.withLock({ $0 }) == nil else { return }
        rollout.restoreNow(before)
    }

    /// Notes that the rollout is no longer this gate's; the first reason is kept.
    private func loseLease(_ reason: String) {
        leaseLost.withLock { if $0 == nil { $0 = reason } }
    }

    /// Runs every part and returns the report, the rollout set as the verdict and the options say.
    package func run(events: @escaping @Sendable (GateEvent) -> Void) async -> GateReport {
        let stage = options.stage, abort = abortState
        events(.started(gate: gate.name, before: before, stage: stage))
        let renewal = Task { [rollout, self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(rollout.renewEvery))
                if !Task.isCancelled, !(await rollout.renew()) {
                    loseLease("a renewal at \(Self.clockTime()) was refused: the lease had run out or been taken")
                    events(.warning("the gate lost its hold on the rollout; another gate may move it — this gate will not set it again"))
                    return
                }
            }
        }
        var parts = GateParts()
        // Metric triggers: read now, during and after the load; the gate judges what happened in between.
        let providers: [any MetricProvider] = [
            ServiceCounterProvider(checks: gate.metrics, source: metrics, events: events),
            PromQLProvider(checks: gate.queries, source: metrics, planned: profile?.duration ?? observationWindow, stage: stage, environment: options.environment, events: events),
        ]
        for provider in providers { parts.problems += await provider.begin() }
        if let contracts = gate.contracts, !abort.isAborted {
            events(.contractsStarted(pacts: contracts.pacts + (contracts.broker.map { ["\($0.url) (\($0.providers.joined(separator: ", ")) for \($0.environment))"] } ?? [])))
            // One client for the stage: the broker's index is read once for its pacts and its can-i-deploy.
            let brokerClient = contracts.broker.map { broker in
                Result { () throws(BrokerError) in try BrokerClient.fromEnvironment(url: broker.url, http: .shared) }
            }
            do {
                let credential = credential, brokers = brokers
                parts.verification = try await abort.unlessAborted {
                    var pacts = try await PactLoader().load(contracts.pacts)
                    if let broker = contracts.broker, let brokerClient { pacts += try await Self.brokerPacts(broker, client: brokerClient.get()) }
                    let reportFailure: @Sendable (InteractionResult) -> Void = { result in
                        if !result.outcome.isPassed, !result.pending { events(.contractFailed(result)) }
                    }
                    var verification = contracts.providers.isEmpty ? VerificationReport()
                        : try await ProviderContracts.verify(pacts, providers: contracts.providers,
                                                             credential: credential, kafkaBrokers: brokers, progress: reportFailure,
                                                             warned: { events(.warning("contracts: \($0)")) })
                    for (provider, source) in contracts.openapi {
                        verification.results += try await ProviderContracts.check(pacts, provider: provider, against: source, strict: contracts.openapiStrict,
                                                                              progress: reportFailure).results
                    }
                    return verification
                }
                if let verification = parts.verification { events(.contractsFinished(verification)) }
                parts.liveStateProviders = contracts.providers.filter { $0.stateChangeURL != nil && $0.verificationURL == nil }.map { provider in
                    provider.label.map { "\(provider.name) (\($0))" } ?? provider.name
                }
                if !parts.liveStateProviders.isEmpty {
                    events(.warning("contracts: provider states were set on the live \(parts.liveStateProviders.joined(separator: ", ")): their rows are in the stage's data (give verification_url for an instance of its own)"))
                }
            } catch { parts.problems.append("contracts: \(error)") }
            if let broker = contracts.broker, let brokerClient, !broker.pacticipants.isEmpty, !abort.isAborted {
                do {
                    let client = try brokerClient.get()
                    parts.deployment = (try await client.canIDeploy(broker.pacticipants.map { ($0.name, $0.version) }, to: broker.environment), broker.environment)
                } catch { parts.problems.append("contracts.broker: \(error)") }
            }
        }
        if !flows.isEmpty, !abort.isAborted {
            events(.flowsStarted)
            do {
                let flows = flows, target = gate.target, iterations = gate.flowIterations, brokers = brokers, agent = userAgent, tls = gate.tls
                let split = gate.judge == nil ? nil : gate.split
                let started = Date()
                if let runs = try await abort.unlessAborted({
                    try await FlowSuite.run(flows, target: target, kafkaBrokers: brokers, iterations: iterations, userAgent: agent, split: split, tls: tls) { events(.flowRun($0)) }
                }) {
                    parts.flows = FlowReport(target: target.description, startedAt: started, runs: runs)
                }
            } catch { parts.problems.append("flows: \(error)") }
        }
        if let parity = gate.parity, !abort.isAborted { await runParity(parity, into: &parts, events: events) }
        if !abort.isAborted {
            let loadStart = ContinuousClock.now
            let sampling = Task {
                await withTaskGroup(of: Void.self) { group in
                    for provider in providers { group.addTask { await provider.measureDuringLoad(since: loadStart) } }
                }
            }
            if let profile {
                do { parts.load = try await runLoad(profile, events: events) } catch { parts.problems.append("load: \(error)") }
            } else {
                // No load of the gate's own: the traffic already there, watched for the window.
                events(.observing(seconds: observationWindow))
                let started = Date()
                _ = try? await abort.unlessAborted { try await Task.sleep(for: .seconds(self.observationWindow)) }
                if let judge = gate.judge { await judgeObserved(judge, from: started, to: Date(), into: &parts, events: events) }
            }
            if let judge = gate.judge, let load = parts.load { await judgeLoad(judge, load, into: &parts, events: events) }
            // No load (it could not start) or a stopped gate: measurements still to come would judge nothing.
            if abort.isAborted || (parts.load == nil && profile != nil) { sampling.cancel() }
            await sampling.value
            if !abort.isAborted {
                for provider in providers { parts.problems += await provider.finish(since: loadStart) }
            }
            for provider in providers { provider.contribute(to: &parts) }
        }
        if !abort.isAborted, !gate.consistency.isEmpty {
            events(.consistencyStarted)
            // Requests the load left unanswered may still be writing: give them their timeout (at most 30 s) before reading the tables.
            if let load = parts.load, load.metrics.unfinished > 0 {
                let wait = min(30, profile?.scenarios.map(\.timeout).max() ?? 10)
                events(.settling(unanswered: load.metrics.unfinished, seconds: wait))
                try? await Task.sleep(for: .seconds(wait))
            }
            for check in gate.consistency where !abort.isAborted {
                do {
                    let comparison = try await compare(check)
                    events(.compared(name: check.name, comparison))
                    parts.consistency.append((check.name, comparison))
                } catch { parts.problems.append("consistency \(check.name): \(error)") }
            }
        }
        renewal.cancel()
        // A gate stopped for longer than its lease (SIGSTOP, a frozen VM) may wake after another
        // gate moved the rollout: it asks once more before it judges or sets anything.
        if leaseLost.withLock({ $0 }) == nil, !(await rollout.renew()) {
            loseLease("the last renewal, at \(Self.clockTime()), was refused: the lease had run out or been taken")
        }
        var triggers = parts.triggers(inconsistencyThreshold: gate.inconsistencyThreshold)
        if let lost = leaseLost.withLock({ $0 }) {
            let now = (try? await rollout.current()).map { "; it reads \($0) % now" } ?? ""
            triggers.append(GateTrigger(name: "rollout lease", value: 1, threshold: 0, unit: "", breached: true, action: TriggerKind.leaseLost.defaultAction,
                                        evidence: "the gate no longer holds the rollout (\(lost))\(now): another gate may have moved it, "
                                            + "so this stage's figures may not be of \(stage) %"))
        }
        let verdict = GateVerdict(stage: stage, triggers: triggers)
        let rolloutReport = await apply(verdict)
        await rollout.release()
        var report = GateReport(gate: gate.name, source: file, target: gate.target.description, startedAt: started, seconds: Date().timeIntervalSince(started),
                                rollout: rolloutReport, verdict: verdict, triggers: triggers, verification: parts.verification, flows: parts.flows,
                                load: parts.load, consistency: parts.consistency, problems: parts.problems, abortedBecause: abort.reason)
        report.metrics = parts.metrics.map(\.reading)
        report.queries = parts.queries.map(\.reading)
        report.judgement = parts.judgement
        report.judgeSkipped = parts.judgeSkipped
        report.parity = parts.parity?.report
        return report
    }

    private var userAgent: String { "tollgate/\(options.tollgateVersion)" }

    /// Puts the rollout back (stopped early), applies the verdict (`autoRollback`), or leaves it at the stage.
    /// `14:02:07`, for the report's account of a lost lease.
    static func clockTime() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: Date())
    }

    /// What the gate moves, in words: the bundled gateway, or the rollout the gate file's `rollout:` names.
    private var rolloutSubject: String {
        switch gate.rollout {
        case .gateway: return "the gateway"
        case .http(let spec): return "the rollout (\(spec.setMethod) \(Redaction.url(spec.setURL)))"
        case .command(let spec): return "the rollout (\(spec.set.first ?? "command"))"
        }
    }

    private func apply(_ verdict: GateVerdict) async -> GateReport.Rollout {
        let stage = options.stage
        var result = GateReport.Rollout(before: before, during: stage, after: stage, applied: false, note: "")
        if let lost = leaseLost.withLock({ $0 }) {
            result.after = try? await rollout.current()
            result.note = "The gate lost its lease on the rollout (\(lost)): it does not set the rollout again"
                + (result.after.map { "; it is at \($0) %." } ?? ".")
            return result
        }
        do {
            if let reason = abortState.reason {
                try await rollout.set(before)
                result.after = before
                result.note = "Stopped early (\(reason)): \(rolloutSubject) is back at \(before) %."
            } else if options.autoRollback && verdict.rolloutPercent != stage {
                try await rollout.set(verdict.rolloutPercent)
                result.after = verdict.rolloutPercent
                result.applied = true
                result.note = gate.rollout.isGateway
                    ? "--auto-rollback: the gateway now sends \(verdict.rolloutPercent) % of users to the new services."
                    : "--auto-rollback: \(rolloutSubject) is now at \(verdict.rolloutPercent) %."
            } else if verdict.rolloutPercent != stage {
                result.note = "\(rolloutSubject.prefix(1).uppercased() + rolloutSubject.dropFirst()) stays at \(stage) %; the verdict asks for \(verdict.rolloutPercent) % (apply it with --auto-rollback"
                    + (gate.rollout.isGateway ? " or PUT /admin/rollout)." : ").")
            } else {
                result.note = "\(rolloutSubject.prefix(1).uppercased() + rolloutSubject.dropFirst()) stays at \(stage) %."
            }
        } catch {
            result.after = nil
            result.note = "Could not set \(rolloutSubject): \(error)"
        }
        return result
    }

    /// What the broker selects for each of `broker.providers` (by default, the pacts of what the environment runs).
    private static func brokerPacts(_ broker: GateFile.Contracts.Broker, client: BrokerClient) async throws -> [LoadedPact] {
        var pacts: [LoadedPact] = []
        for provider in broker.providers {
            var request = VerificationRequest(provider: provider)
            request.selectors = broker.selectors
            pacts += try await client.pactsForVerification(request).map { LoadedPact(pact: $0.pact, source: $0.url) }
        }
        return pacts
    }

    /// How long a stage with no load watches the traffic already there.
    private var observationWindow: Double { options.observationWindow ?? options.duration ?? 60 }

    private func runLoad(_ profile: LoadProfile, events: @escaping @Sendable (GateEvent) -> Void) async throws -> LoadResult {
        var profile = profile
        profile.tls = profile.tls.overridden(by: gate.tls)
        var runOptions = RunOptions()
        runOptions.userAgent = userAgent
        // Each path's figures apart, for the judge: told by a response header, or by the URL each user sends to.
        if gate.judge != nil { runOptions.split = gate.split }
        if let urls = gate.splitURLs { runOptions.targets = TargetSplit(baseline: urls.baseline, canary: urls.canary, percent: options.stage) }
        let topics = profile.eventTopics.sorted()
        return try await KafkaEventSource.reading(brokers: topics.isEmpty ? nil : brokers, topics: topics) { source in
            runOptions.events = source
            let target = gate.target
            let session = try LoadSession(profile: profile, target: target, options: runOptions, tollgateVersion: options.tollgateVersion)
            abortState.watch(session.run)
            defer { abortState.watch(nil) }
            events(.loadStarted(session.run.profile, target))
            let result = try await session.result { events(.loadProgress($0)) }
            events(.loadFinished(result))
            return result
        }
    }

    /// One table pair of the gate file, compared off the cooperative pool.
    private func compare(_ check: GateFile.ConsistencyCheck) async throws -> TableComparison {
        var pair = TablePair(source: check.source, target: check.target)
        pair.table = check.table
        pair.targetTable = check.targetTable
        pair.key = check.key
        pair.columns = check.columns
        pair.map = check.map
        pair.targetMayHaveMore = check.targetMayHaveMore
        pair.token = credential
        pair.recheck = RecheckPolicy(after: check.recheckAfter, rounds: check.rechecks)
        let abort = abortState
        pair.shouldStop = { abort.isAborted }
        let prepared = pair
        return try await BlockingWork.run { try prepared.compare() }
    }

    /// The report of a gate that stops before it has results (it could not start, or a second
    /// signal ends it): verdict pause, marked aborted, why.
    package static func stopReport(file: String, gate: GateFile?, stage: Int, started: Date, problem: String, aborted: String?,
                                  rollout: GateReport.Rollout) -> GateReport {
        var parts = GateParts()
        parts.problems = [problem]
        let triggers = parts.triggers(inconsistencyThreshold: gate?.inconsistencyThreshold ?? 0.01)
        return GateReport(gate: gate?.name ?? file, source: file, target: gate?.target.description ?? "", startedAt: started,
                          seconds: Date().timeIntervalSince(started), rollout: rollout, verdict: GateVerdict(stage: stage, triggers: triggers),
                          triggers: triggers, verification: nil, flows: nil, load: nil, consistency: [], problems: [problem], abortedBecause: aborted)
    }
}

/// Why a gate could not start: in words, with as much of the gate file as was read (for the report).
package struct GateStartError: Error, CustomStringConvertible {
    package let message: String
    package let gate: GateFile?
    package let started: Date
    /// The gate ran as far as setting the rollout, which did not take: its verdict is a pause
    /// (exit 4), not "could not run".
    package var pauses = false
    /// Another gate holds the rollout (its lease, the gate file's lock): nothing was moved.
    package var held = false
    package var description: String { message }

    package init(message: String, gate: GateFile?, started: Date, pauses: Bool = false) {
        self.message = message
        self.gate = gate
        self.started = started
        self.pauses = pauses
    }
}
