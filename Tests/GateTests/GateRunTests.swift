import Foundation
import Gate
import Reports
import SLO
import Synchronization
import Testing
import TestSupport
import Verifier

/// A stage run from start to verdict against a rollout control that records what it was asked.
@Suite struct GateRunTests {
    /// Records every call; `acquire` refuses when told another holds the rollout.
    final class RecordingRollout: RolloutControl {
        let calls = Mutex<[String]>([])
        let percent = Mutex(10)
        let heldByAnother: Bool
        /// What the rollout reads back after a set, when it ignores the change (a flag service that did not take it).
        let stuckAt: Int?
        /// Renewals are refused: the lease ran out (the gate was stopped past it) or another took it.
        let leaseLost: Bool
        init(heldByAnother: Bool = false, stuckAt: Int? = nil, leaseLost: Bool = false) {
            self.heldByAnother = heldByAnother
            self.stuckAt = stuckAt
            self.leaseLost = leaseLost
        }
        func current() async throws -> Int { record("current"); return percent.withLock { $0 } }
        func acquire(holder: String) async throws {
            record("acquire")
            if heldByAnother { throw GateSetupError("the rollout is held by gate B") }
        }
        func renew() async -> Bool { record("renew"); return !leaseLost }
        func release() async { record("release") }
        func set(_ percent: Int) async throws { record("set \(percent)"); self.percent.withLock { $0 = stuckAt ?? percent } }
        func restoreNow(_ percent: Int) { record("restore \(percent)") }
        var renewEvery: Double { 60 }
        func record(_ call: String) { calls.withLock { $0.append(call) } }
        var log: [String] { calls.withLock { $0 } }
    }

    /// A folder with a gate file and its stage profile aimed at a local HTTP server (python's).
    static func withGate(slos: String, extra: String = "", _ body: (_ file: String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gate-run-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("ok".utf8).write(to: folder.appendingPathComponent("ok.txt"))
        try await withStaticServer(serving: folder) { port in
            try """
                scenarios:
                  s: {executor: constant-arrival-rate, rate: 10, duration: 1s, steps: [{name: page, path: /ok.txt}, {name: missing, path: /missing}]}
                """.write(to: folder.appendingPathComponent("stage.yaml"), atomically: true, encoding: .utf8)
            let file = folder.appendingPathComponent("gate.yaml")
            try """
                name: unit
                gateway: {url: "http://127.0.0.1:\(port)", admin_token: t}
                stages: {25: stage.yaml}
                slos: \(slos)
                \(extra)
                """.write(to: file, atomically: true, encoding: .utf8)
            try await body(file.path)
        }
    }

    static func start(_ file: String, _ rollout: RecordingRollout, autoRollback: Bool = false) async throws(GateStartError) -> GateRun {
        var options = GateOptions(stage: 25)
        options.autoRollback = autoRollback
        options.environment = [:]
        return try await GateRun.start(file: file, options: options) { _ in (rollout, credential: "t") }
    }

    @Test func aHealthyStageProceedsAndTheRolloutStaysAtTheStage() async throws {
        try await Self.withGate(slos: "[\"error_rate{name=page}<1%\"]") { file in
            let rollout = RecordingRollout()
            let run = try await Self.start(file, rollout)
            let events = Mutex<[String]>([])
            let report = await run.run { event in events.withLock { $0.append("\(event)".prefix { $0 != "(" }.description) } }
            #expect(report.verdict.action == .proceed, "\(report.summaryText())")
            #expect(rollout.log == ["current", "acquire", "set 25", "current", "renew", "release"], "the stage is read back before the gate goes on, the lease before the verdict")
            #expect(report.rollout.before == 10 && report.rollout.after == 25)
            #expect(events.withLock { $0 }.starts(with: ["started", "loadStarted"]))
        }
    }

    /// `contracts.openapi`: the provider's pacts checked against its document as part of the contract trigger.
    @Test func pactsCheckedAgainstTheProvidersDocumentDecideTheContractTrigger() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let contracts = root.appendingPathComponent("contracts")
        let document = contracts.appendingPathComponent("openapi/user-service.json").path
        let pact = contracts.appendingPathComponent("order-service-user-service.json").path
        try await Self.withGate(slos: "[\"error_rate{name=page}<1%\"]", extra: "contracts: {pacts: [\"\(pact)\"], openapi: {user-service: \"\(document)\"}}") { file in
            let report = try await Self.start(file, RecordingRollout()).run { _ in }
            #expect(report.verdict.action == .proceed, "\(report.summaryText())")
            #expect(report.verification?.results.map(\.kind) == ["openapi"])
            #expect(report.triggers.first { $0.name == "contract failures" }?.evidence == "1 interactions verified")
        }
        // The same pact expecting a status the document does not have for the operation.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gate-openapi-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.json")
        try Data(String(contentsOfFile: pact, encoding: .utf8).replacingOccurrences(of: #""status": 200"#, with: #""status": 418"#).utf8).write(to: broken)
        try await Self.withGate(slos: "[\"error_rate{name=page}<1%\"]", extra: "contracts: {pacts: [\"\(broken.path)\"], openapi: {user-service: \"\(document)\"}}") { file in
            let rollout = RecordingRollout()
            let report = try await Self.start(file, rollout, autoRollback: true).run { _ in }
            #expect(report.verdict.action == .rollback, "\(report.summaryText())")
            #expect(report.triggers.first { $0.name == "contract failures" }?.breached == true)
        }
        // A document that cannot be read is a problem the gate names, never a pass.
        try await Self.withGate(slos: "[\"error_rate{name=page}<1%\"]", extra: "contracts: {pacts: [\"\(pact)\"], openapi: {user-service: /no/such/api.json}}") { file in
            let report = try await Self.start(file, RecordingRollout()).run { _ in }
            #expect(report.verdict.action != .proceed)
            #expect(report.problems.contains { $0.contains("/no/such/api.json at #: no such file") }, "\(report.problems)")
        }
    }

    @Test func aBreachAppliedWithAutoRollbackMovesTheRollout() async throws {
        try await Self.withGate(slos: "[\"error_rate<=1%:rollback\"]") { file in
            let rollout = RecordingRollout()
            let report = await (try Self.start(file, rollout, autoRollback: true)).run { _ in }
            #expect(report.verdict.action == .rollback && report.rollout.applied && report.rollout.after == 0, "\(report.summaryText())")
            #expect(rollout.log == ["current", "acquire", "set 25", "current", "renew", "set 0", "release"])
        }
    }

    /// Gate A stopped past its lease while gate B moved the rollout: A pauses, says so, and never sets it.
    @Test func aGateThatLostItsLeasePausesAndNeverSetsTheRollout() async throws {
        try await Self.withGate(slos: "[\"error_rate<=1%:rollback\"]") { file in
            let rollout = RecordingRollout(leaseLost: true)
            let run = try await Self.start(file, rollout, autoRollback: true)
            rollout.percent.withLock { $0 = 50 }   // gate B's stage
            let report = await run.run { _ in }
            let lease = try #require(report.triggers.first { $0.name == "rollout lease" })
            #expect(lease.breached && lease.action == .pause && lease.evidence.contains("it reads 50 % now"), "\(lease.evidence)")
            #expect(report.verdict.action == .rollback, "the error trigger still asks for it")
            #expect(!report.rollout.applied && report.rollout.after == 50 && report.rollout.note.contains("lost its lease"), "\(report.rollout.note)")
            #expect(!rollout.log.contains("set 0"), "\(rollout.log)")
            run.restoreNow()
            #expect(!rollout.log.contains { $0.hasPrefix("restore") }, "a second Ctrl-C does not put back what another gate set")
        }
    }

    @Test func anAbortedGatePutsTheRolloutBack() async throws {
        try await Self.withGate(slos: "[\"error_rate<=1%\"]") { file in
            let rollout = RecordingRollout()
            let run = try await Self.start(file, rollout)
            run.abort("interrupted (test)")
            let report = await run.run { _ in }
            #expect(report.abortedBecause == "interrupted (test)" && report.rollout.after == 10)
            #expect(rollout.log == ["current", "acquire", "set 25", "current", "renew", "set 10", "release"])
            #expect(report.load == nil, "nothing ran after the abort")
        }
    }

    @Test func aRolloutThatDoesNotReadBackTheStagePausesAndIsPutBack() async throws {
        try await Self.withGate(slos: "[\"error_rate<=1%\"]") { file in
            let rollout = RecordingRollout(stuckAt: 10)
            do {
                _ = try await Self.start(file, rollout)
                Issue.record("the gate went on with a rollout that reads back 10 %")
            } catch let error as GateStartError {
                #expect(error.pauses, "a pause, not 'could not run'")
                #expect(error.message.contains("set to 25 % but reads back 10 %"), "\(error.message)")
            } catch {
                Issue.record("\(error)")
            }
            #expect(rollout.log == ["current", "acquire", "set 25", "current", "set 10", "release"])
        }
    }

    @Test func aRolloutHeldByAnotherGateStopsBeforeAnythingMoves() async throws {
        try await Self.withGate(slos: "[\"error_rate<=1%\"]") { file in
            let rollout = RecordingRollout(heldByAnother: true)
            do throws(GateStartError) {
                _ = try await Self.start(file, rollout)
                Issue.record("the gate started")
            } catch {
                #expect(error.message.contains("held by gate B") && error.gate?.name == "unit")
            }
            #expect(rollout.log == ["current", "acquire"], "nothing was set")
        }
    }

    @Test func aSelectionTheStageDoesNotHaveIsRefusedAtTheStart() async throws {
        try await Self.withGate(slos: "[\"p95{name=chekout}<500ms\"]") { file in
            let rollout = RecordingRollout()
            do throws(GateStartError) {
                _ = try await Self.start(file, rollout)
                Issue.record("the gate started")
            } catch {
                #expect(error.message.contains("no step is named 'chekout'"), "\(error)")
            }
            #expect(rollout.log.isEmpty)
        }
    }
}
