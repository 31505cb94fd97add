import Foundation
import TestSupport
import Testing

/// The Pact Broker workflow against a broker fixture (the HAL API the Pact Broker documents),
/// with the official `pact` CLI on the same broker: what one publishes the other reads.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_PACT_CLI"] != nil, "needs the pact CLI (make test installs pact-python-cli into .venv-pact)"))
struct BrokerWorkflowTests {
    static let fixture = packageRoot.appendingPathComponent("Tests/TollgateCLITests/Fixtures/pact-broker.py").path
    static var pactCLI: String { ProcessInfo.processInfo.environment["TOLLGATE_PACT_CLI"] ?? "pact" }

    /// A broker fixture on a free port while `body` runs (its base URL given).
    static func withBroker(_ extra: [String] = [], _ body: (String) async throws -> Void) async throws {
        let port = freePort()
        let broker = try ChildProcess("/usr/bin/python3", [fixture, "\(port)"] + extra, captureOutput: false, captureError: false)
        defer {
            broker.send(SIGTERM)
            broker.wait()
        }
        guard await eventually(timeout: 10, { acceptsConnections(port: port) }) else { throw ChildProcess.SpawnError(description: "the broker fixture did not start") }
        try await body("http://127.0.0.1:\(port)")
    }

    /// `tollgate stub` serving `pact` as a provider while `body` runs (its port given).
    static func withProvider(_ pact: URL, _ body: (Int) async throws -> Void) async throws {
        let port = freePort()
        let stub = try ChildProcess(tollgateBinary.path, ["stub", pact.path, "--port", "\(port)", "--quiet"], captureOutput: false, captureError: false)
        defer {
            stub.send(SIGTERM)
            stub.wait()
        }
        guard await eventually(timeout: 10, { acceptsConnections(port: port) }) else { throw ChildProcess.SpawnError(description: "the stub did not start") }
        try await body(port)
    }

    static func pact(consumer: String, provider: String, _ interactions: [(path: String, body: String)]) -> String {
        let list = interactions.enumerated().map { n, interaction in
            """
            {"description": "item \(n) \(interaction.path)", "request": {"method": "GET", "path": "\(interaction.path)"},
             "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": \(interaction.body)}}
            """
        }
        return #"{"consumer": {"name": "\#(consumer)"}, "provider": {"name": "\#(provider)"}, "interactions": [\#(list.joined(separator: ","))], "metadata": {"pactSpecification": {"version": "3.0.0"}}}"#
    }

    static func runPact(_ arguments: [String], broker: String) async throws -> (status: Int32, out: String, err: String) {
        let child = try ChildProcess("/usr/bin/env", ["PACT_DO_NOT_TRACK=true", "PACT_BROKER_BASE_URL=\(broker)", pactCLI] + arguments)
        let finished = await child.finish()
        return (finished.code, finished.out, finished.err)
    }

    /// The fixture's log of requests: method and path.
    static func requests(_ broker: String) async throws -> [(method: String, path: String)] {
        let port = Int(broker.split(separator: ":").last ?? "") ?? 0
        let answer = await offThePool { rawHTTPExchange(port: port, "GET /__requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n") }
        let body = answer.range(of: "\r\n\r\n").map { String(answer[$0.upperBound...]) } ?? ""
        let list = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
        return list.map { ($0["method"] as? String ?? "", $0["path"] as? String ?? "") }
    }

    @Test func theWholeWorkflowWithThePactCLIOnTheSameBroker() async throws {
        let folder = try temporaryFolder("broker")
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ text: String) throws -> URL {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        // shop-web 1 needs an item's id; 2 also its name; 3 (a feature branch) another item.
        let v1 = try file("v1.json", Self.pact(consumer: "shop-web", provider: "catalog", [("/items/1", #"{"id": 1}"#)]))
        let v2 = try file("v2.json", Self.pact(consumer: "shop-web", provider: "catalog", [("/items/1", #"{"id": 1, "name": "lamp"}"#)]))
        let v3 = try file("v3.json", Self.pact(consumer: "shop-web", provider: "catalog", [("/items/2", #"{"id": 2}"#)]))
        // catalog p1 answers with the name; catalog p2 dropped it.
        let p1 = try file("p1.json", Self.pact(consumer: "any", provider: "catalog", [("/items/1", #"{"id": 1, "name": "lamp"}"#), ("/items/2", #"{"id": 2}"#)]))
        let p2 = try file("p2.json", Self.pact(consumer: "any", provider: "catalog", [("/items/1", #"{"id": 1}"#), ("/items/2", #"{"id": 2}"#)]))
        try await Self.withBroker { broker in
            let env = ["PACT_BROKER_BASE_URL": broker]
            var run = try await runTollgate(["publish", v1.path, "--consumer-app-version", "1", "--branch", "main"], environment: env)
            #expect(run.status == 0, "\(run.out)\(run.err)")
            run = try await Self.runPact(["broker", "create-environment", "--name", "production", "--production"], broker: broker)
            #expect(run.status == 0, "pact create-environment: \(run.out)\(run.err)")
            run = try await runTollgate(["record-deployment", "--pacticipant", "shop-web", "--version", "1", "--environment", "production"], environment: env)
            #expect(run.status == 0, "\(run.out)\(run.err)")

            // The pact CLI verifies catalog p1 from the broker and publishes; then records its deployment.
            try await Self.withProvider(p1) { port in
                let verified = try await Self.runPact(["verifier", "--broker-url", broker, "--provider-name", "catalog", "--hostname", "127.0.0.1", "--port", "\(port)",
                                                       "--consumer-version-selectors", #"{"mainBranch": true}"#, "--consumer-version-selectors", #"{"deployedOrReleased": true}"#,
                                                       "--enable-pending", "--include-wip-pacts-since", "2020-01-01",
                                                       "--publish", "--provider-version", "p1", "--provider-branch", "main"], broker: broker)
                #expect(verified.status == 0, "pact verifier: \(verified.out)\(verified.err)")
            }
            run = try await Self.runPact(["broker", "record-deployment", "--pacticipant", "catalog", "--version", "p1", "--environment", "production"], broker: broker)
            #expect(run.status == 0, "pact record-deployment: \(run.out)\(run.err)")
            run = try await Self.runPact(["broker", "publish", v2.path, "--consumer-app-version", "2", "--branch", "main"], broker: broker)
            #expect(run.status == 0, "pact publish: \(run.out)\(run.err)")
            run = try await Self.runPact(["broker", "publish", v3.path, "--consumer-app-version", "3", "--branch", "feat-x"], broker: broker)
            #expect(run.status == 0, "pact publish: \(run.out)\(run.err)")

            try await Self.withProvider(p1) { port in
                // The main-branch selector chooses shop-web 2 among 1, 2 (main) and 3 (feat-x).
                let main = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:\(port)",
                                                  "--consumer-version-selectors", #"{"mainBranch": true}"#])
                #expect(main.status == 0, "\(main.out)\(main.err)")
                #expect(main.out.contains("1 pact(s) from the broker") && main.out.contains("shop-web version 2"), "\(main.out)")
                // The recommended selectors (main and deployed) and WIP pacts, published.
                let asked = try await Self.requests(broker).count
                let all = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:\(port)",
                                                 "--enable-pending", "--include-wip-pacts-since", "2020-01-01", "--publish", "--provider-version", "p1",
                                                 "--provider-branch", "main", "--build-url", "https://ci.example/42"])
                #expect(all.status == 0, "\(all.out)\(all.err)")
                for version in ["shop-web version 2", "shop-web version 1", "shop-web version 3 (work in progress, pending)"] {
                    #expect(all.out.contains(version), "\(version): \(all.out)")
                }
                #expect(all.out.contains("is being verified because it matches"), "the broker's notices are printed: \(all.out)")
                let run = try await Self.requests(broker).dropFirst(asked)
                let published = run.filter { $0.path.hasSuffix("/verification-results") }.count
                #expect(published == 3, "results published once per pact: \(published)")
                #expect(run.filter { $0.method == "GET" && $0.path == "/" }.count == 1, "the index read once for the selection and the results: \(run.map(\.path))")
            }

            // catalog p2 (another branch) fails shop-web 2: pending there, so shown and not failing.
            try await Self.withProvider(p2) { port in
                let pending = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:\(port)",
                                                     "--enable-pending", "--publish", "--provider-version", "p2", "--provider-branch", "drop-name"])
                #expect(pending.status == 0, "\(pending.out)\(pending.err)")
                #expect(pending.out.contains("pending failed (not counted)") && pending.out.contains("(pending)"), "\(pending.out)")
                #expect(pending.out.contains("results for shop-web published to the broker (failure)"), "\(pending.out)")
                let counted = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:\(port)"])
                #expect(counted.status == 1, "without --enable-pending the failure counts: \(counted.out)\(counted.err)")
            }

            // Each alone looks deployable; the two together are not.
            run = try await runTollgate(["can-i-deploy", "--pacticipant", "shop-web", "--version", "2", "--to-environment", "production"], environment: env)
            #expect(run.status == 0, "\(run.out)\(run.err)")
            let peer = try await Self.runPact(["broker", "can-i-deploy", "--pacticipant", "shop-web", "--version", "2", "--to-environment", "production"], broker: broker)
            #expect(peer.status == 0, "the pact CLI sees what Tollgate published: \(peer.out)\(peer.err)")
            run = try await runTollgate(["can-i-deploy", "--pacticipant", "catalog", "--version", "p2", "--to-environment", "production"], environment: env)
            #expect(run.status == 0, "\(run.out)\(run.err)")
            let together = try await runTollgate(["can-i-deploy", "--pacticipant", "shop-web", "--version", "2", "--pacticipant", "catalog", "--version", "p2",
                                                  "--to-environment", "production"], environment: env)
            #expect(together.status == 1, "\(together.out)\(together.err)")
            #expect(together.out.contains("shop-web  2          catalog   p2         ✗ failed  the verification failed"), "\(together.out)")
            let unknown = try await runTollgate(["can-i-deploy", "--pacticipant", "shop-web", "--version", "9", "--to-environment", "production",
                                                 "--retry-while-unknown", "1", "--retry-interval", "0s"], environment: env)
            #expect(unknown.status == 1 && unknown.out.contains("Waiting for 1 unknown verification(s) (try 1 of 1)"), "\(unknown.out)\(unknown.err)")
            #expect(unknown.out.contains("? No pacticipant version 9 of shop-web found"), "\(unknown.out)")
            // A rollout stage that moves both: the contracts of what production runs pass, can-i-deploy for the pair rolls it back.
            let state = folder.appendingPathComponent("rollout")
            try "10\n".write(to: state, atomically: true, encoding: .utf8)
            try await Self.withProvider(p2) { port in
                let gate = try file("gate.yaml", """
                    name: catalog-stage
                    target: http://127.0.0.1:\(port)
                    rollout:
                      kind: command
                      set: [sh, -c, 'echo "$0" > "\(state.path)"', "${percent}"]
                      get: [cat, "\(state.path)"]
                    stages: {25: none}
                    contracts:
                      providers:
                        catalog: http://127.0.0.1:\(port)
                      broker:
                        url: \(broker)
                        environment: production
                        providers: [catalog]
                        pacticipants: {shop-web: "2", catalog: p2}
                    """)
                let json = folder.appendingPathComponent("gate.json")
                let stage = try await runTollgate(["gate", gate.path, "--stage", "25", "--duration", "1s", "--quiet", "--json", json.path])
                #expect(stage.status == 5, "rolled back: \(stage.out)\(stage.err)")
                let triggers = try #require(try jsonObject(json)["triggers"] as? [[String: Any]])
                let contracts = try #require(triggers.first { $0["name"] as? String == "contract failures" })
                #expect(contracts["breached"] as? Bool == false, "shop-web 1, which production runs, verifies against catalog p2: \(contracts)")
                let deploy = try #require(triggers.first { $0["name"] as? String == "can-i-deploy" })
                #expect(deploy["breached"] as? Bool == true && deploy["action"] as? String == "rollback", "\(deploy)")
                #expect((deploy["evidence"] as? String ?? "").contains("shop-web 2 → catalog p2: the verification failed"), "\(deploy)")
            }
            run = try await runTollgate(["record-release", "--pacticipant", "catalog", "--version", "p1", "--environment", "staging"], environment: env)
            #expect(run.status == 2 && run.err.contains("no environment 'staging' (known: production)"), "\(run.out)\(run.err)")
        }
    }

    @Test func aBrokerThatIsNotOneIsExit2NamingWhatAndWhere() async throws {
        let cases: [(mode: String, expected: String)] = [
            ("html", "answered text/html, not JSON"),
            ("redirect", "credentials are not sent there"),
            ("huge", "answered more than 16 MiB"),
            ("bare", "has no 'pb:provider-pacts-for-verification' relation"),
        ]
        // Another host the redirect points at: it must never be asked (and so never see the token).
        try await Self.withBroker { elsewhere in
            for (mode, expected) in cases {
                try await Self.withBroker(["--hostile", mode, "--token", "s3cret-t0ken", "--redirect-to", elsewhere]) { broker in
                    let run = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:9"],
                                                    environment: ["PACT_BROKER_TOKEN": "s3cret-t0ken"])
                    #expect(run.status == 2 && run.err.contains(expected), "\(mode): \(run.out)\(run.err)")
                    #expect(!(run.out + run.err).contains("s3cret-t0ken"), "the token is never printed")
                }
            }
            #expect(try await Self.requests(elsewhere).isEmpty, "the redirect to another origin was not followed")
        }
        try await Self.withBroker(["--token", "right"]) { broker in
            let run = try await runTollgate(["can-i-deploy", "--pacticipant", "a", "--version", "1", "--to-environment", "production", "--broker-url", broker],
                                            environment: ["PACT_BROKER_TOKEN": "wrong"])
            #expect(run.status == 2 && run.err.contains("HTTP 401") && run.err.contains("PACT_BROKER_TOKEN"), "\(run.out)\(run.err)")
            let selectors = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:9",
                                                   "--consumer-version-selectors", "mainBranch"])
            #expect(selectors.status == 2 && selectors.err.contains("--consumer-version-selectors is not JSON"), "\(selectors.err)")
            let openapi = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--openapi", "contracts/openapi/catalog-service.json"])
            #expect(openapi.status == 2 && openapi.err.contains("--openapi checks pact files, not a broker's selection"), "\(openapi.err)")
        }
    }

    @Test func publishingRetriesABusyBrokerAndNothingIsPublishedWhenNothingWasVerified() async throws {
        let folder = try temporaryFolder("broker-retry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pact = folder.appendingPathComponent("v1.json")
        try Self.pact(consumer: "shop-web", provider: "catalog", [("/items/1", #"{"id": 1}"#)]).write(to: pact, atomically: true, encoding: .utf8)
        try await Self.withBroker(["--hostile", "flaky"]) { broker in
            // The first two POSTs answer 503: publishing is tried again.
            let published = try await runTollgate(["publish", pact.path, "--consumer-app-version", "1", "--branch", "main", "--broker-url", broker])
            #expect(published.status == 0, "\(published.out)\(published.err)")
            #expect(try await Self.requests(broker).filter { $0.method == "POST" && $0.path == "/contracts/publish" }.count == 3)
            // A provider that cannot be reached: the run could not verify, so nothing is published.
            let unreachable = try await runTollgate(["verify", "--broker-url", broker, "--provider", "catalog", "--provider-base-url", "http://127.0.0.1:9",
                                                     "--publish", "--provider-version", "p1"])
            #expect(unreachable.status == 2, "\(unreachable.out)\(unreachable.err)")
            #expect(try await Self.requests(broker).filter { $0.path.hasSuffix("/verification-results") }.isEmpty)
        }
    }
}
