import ContractCore
import CanaryJudge
import Foundation
import Gate
import LoadEngine
import SLO
import Steps
import Testing

@Suite struct GateLoaderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theShippedGateFileReadsWithItsDefaults() throws {
        let file = Self.root.appendingPathComponent("loadprofiles/gate.yaml").path
        let gate = try GateLoader.load(file: file, environment: [:])
        #expect(gate.gateway?.url == "http://127.0.0.1:8000" && gate.gateway?.adminToken == nil && gate.gateway?.adminEmail == "admin@tollgate.local")
        #expect(gate.target.description == "http://127.0.0.1:8000", "the flows and the load go to the gateway when no target is named")
        #expect(gate.kafkaBrokers == nil)
        #expect(Set(gate.stages.keys) == [10, 25, 50, 75, 100])
        // Relative paths are resolved against the gate file, and exist.
        for path in gate.flows + Array(gate.stages.values) + (gate.contracts?.pacts ?? []) {
            #expect(FileManager.default.fileExists(atPath: path), "\(path)")
        }
        #expect(gate.contracts?.providers.map(\.name).contains("payment-provider") == true)
        #expect(gate.consistency.map(\.name) == ["users", "orders", "products"])
        #expect(gate.consistency[0].targetMayHaveMore && !gate.consistency[2].targetMayHaveMore)
        // The guide's triggers, and its latency trigger for the checkout on its own.
        let objectives = try ["error_rate<=1%:rollback", "p95<=500ms:reduce", "p95{tag=checkout}<=500ms:reduce", "payment_failure_rate<=0.1%:rollback"]
            .map { try Objective(parsing: $0) }
        #expect(gate.objectives == objectives)
        let provider = try #require(gate.metrics.first)
        #expect(provider.name == "payment provider failures" && provider.url == "http://127.0.0.1:3005/metrics" && provider.threshold == 0.1)
        #expect(provider.rate == CounterErrorRate(counter: "http_requests_total", labels: ["route": "/v1/payment_intents"], errorLabel: "status", errorPrefix: "5"))
        #expect(provider.action == .rollback)
        #expect(gate.inconsistencyThreshold == 0.01)
    }

    /// The gate file of deploy/k8s/gate: the in-cluster addresses, and the image's files.
    @Test func theClusterGateFileReads() throws {
        let gate = try GateLoader.load(file: Self.root.appendingPathComponent("deploy/k8s/gate/gate.yaml").path, environment: [:])
        #expect(gate.gateway?.url == "http://api-gateway.ecommerce" && gate.contracts == nil)
        #expect(Set(gate.stages.keys) == [10, 25, 50, 75, 100])
        // The image puts the repository's flows and profiles in /usr/share/tollgate.
        for path in gate.flows + Array(gate.stages.values) {
            #expect(path.hasPrefix("/usr/share/tollgate/"), "\(path)")
            let shipped = Self.root.appendingPathComponent(String(path.dropFirst("/usr/share/tollgate/".count))).path
            #expect(FileManager.default.fileExists(atPath: shipped), "\(shipped)")
        }
        #expect(gate.consistency.map(\.target) == ["http://monolith.ecommerce/admin/export/users", "http://monolith.ecommerce/admin/export/orders"])
    }

    @Test func theEnvironmentFillsTheGateFile() throws {
        let file = Self.root.appendingPathComponent("loadprofiles/gate.yaml").path
        let gate = try GateLoader.load(file: file, environment: ["TARGET": "http://10.0.0.5:8080", "TOLLGATE_ADMIN_TOKEN": "t0k", "KAFKA_BROKERS": "k:9092",
                                                                  "MONOLITH_URL": "http://legacy:3000"])
        #expect(gate.gateway?.url == "http://10.0.0.5:8080" && gate.gateway?.adminToken == "t0k" && gate.kafkaBrokers == "k:9092")
        #expect(gate.consistency[0].target == "http://legacy:3000/admin/export/users")
    }

    @Test func openAPIDocumentsStandBesideOrInsteadOfProviderURLs() throws {
        let gate = try GateLoader.parse("""
            gateway: {url: "http://127.0.0.1:8000"}
            stages: {25: s.yaml}
            contracts:
              pacts: [pacts]
              openapi: {catalog-service: api/catalog.yaml, user-service: "https://docs.example/user/openapi.json"}
            """, file: "/gates/g.yaml")
        #expect(gate.contracts?.providers.isEmpty == true)
        #expect(gate.contracts?.openapi.map(\.name) == ["catalog-service", "user-service"])
        #expect(gate.contracts?.openapi.map(\.document) == ["/gates/api/catalog.yaml", "https://docs.example/user/openapi.json"])
        #expect {
            _ = try GateLoader.parse("""
                gateway: {url: "http://127.0.0.1:8000"}
                stages: {25: s.yaml}
                contracts: {pacts: [p], openapi: {a: "", b: "http://", c: [x]}}
                """, file: "g.yaml")
        } throws: { error in
            let text = "\((error as? FileProblems)?.description ?? "")"
            for line in ["contracts.openapi.a: name the provider's OpenAPI document", "contracts.openapi.b: not a valid http(s) URL", "contracts.openapi.c"] where !text.contains(line) {
                Issue.record("missing \(line) in:\n\(text)")
            }
            return true
        }
        #expect(throws: FileProblems.self) {
            _ = try GateLoader.parse("gateway: {url: \"http://127.0.0.1:8000\"}\nstages: {25: s.yaml}\ncontracts: {pacts: [p]}\n", file: "g.yaml")
        }
    }

    /// Each provider says where its states are set and which headers go along; a credential in a
    /// state URL's query string (access logs keep URLs) is refused.
    @Test func providersSayTheirStateURLAndHeaders() throws {
        let gate = try GateLoader.parse("""
            gateway: {url: "http://127.0.0.1:8000"}
            stages: {25: s.yaml}
            contracts:
              pacts: [p]
              providers:
                orders: {url: "http://127.0.0.1:3003/", state_change_url: /_pact/states, headers: {Authorization: "Bearer ${credential}"}}
                payments: {url: "http://127.0.0.1:3005", state_change_url: "http://127.0.0.1:9999/states", state_change_headers: {X-Key: k}}
                plain: "http://127.0.0.1:3001"
            """, file: "g.yaml")
        let providers = try #require(gate.contracts?.providers)
        #expect(providers.map(\.name) == ["orders", "payments", "plain"])
        #expect(providers[0].stateChangeURL == "http://127.0.0.1:3003/_pact/states")
        #expect(providers[0].headers.map(\.value) == ["Bearer ${credential}"] && providers[0].stateChangeHeaders.map(\.name) == ["Authorization"])
        #expect(providers[1].stateChangeURL == "http://127.0.0.1:9999/states" && providers[1].headers.isEmpty && providers[1].stateChangeHeaders.map(\.value) == ["k"])
        #expect(providers[2].stateChangeURL == nil && providers[2].headers.isEmpty)
        #expect {
            _ = try GateLoader.parse("""
                gateway: {url: "http://127.0.0.1:8000"}
                stages: {25: s.yaml}
                contracts: {pacts: [p], providers: {orders: {url: "http://127.0.0.1:3003", state_change_url: "/states?token=abc"}}}
                """, file: "g.yaml")
        } throws: { error in
            "\(error)".contains("g.yaml:3: contracts.providers.orders.state_change_url: no query string")
        }
    }

    /// `stages: {10: }` failed later with `NSCocoaErrorDomain error 256`, no field, no line.
    @Test func aStageWithNoProfileIsNamedWithItsLine() {
        #expect {
            _ = try GateLoader.parse("gateway: {url: \"http://127.0.0.1:8000\"}\nstages:\n  10:\n  25: s.yaml\n", file: "g.yaml")
        } throws: { error in
            "\(error)".contains("g.yaml:3: stages.10: name the stage's load profile")
        }
    }

    /// `gateway:` was required even with an http or command rollout, and became the load's target.
    @Test func aGateWithAnotherRolloutNeedsNoGateway() throws {
        let command = "rollout: {kind: command, set: [set-weight, \"${percent}\"], get: [get-weight]}\nstages: {25: s.yaml}\n"
        let gate = try GateLoader.parse(command + "target: \"http://10.0.0.9:8080\"\n", file: "g.yaml")
        #expect(gate.gateway == nil && gate.target.description == "http://10.0.0.9:8080")
        #expect { _ = try GateLoader.parse(command, file: "g.yaml") } throws: { "\($0)".contains("target: missing: the base URL the flows and the load are sent to") }
        #expect { _ = try GateLoader.parse("stages: {25: s.yaml}\ntarget: \"http://10.0.0.9:8080\"\n", file: "g.yaml") } throws: {
            "\($0)".contains("gateway: missing: the gateway's url")
        }
    }

    @Test func aLockIsAFileOrAnAdvisoryLock() throws {
        let base = "gateway: {url: \"http://127.0.0.1:8000\"}\nstages: {25: s.yaml}\n"
        let file = try GateLoader.parse(base + "lock: {kind: file, path: rollout.lock}\n", file: "/ci/gates/g.yaml")
        guard case .file(let path)? = file.lock else { Issue.record("\(String(describing: file.lock))"); return }
        #expect(path == "/ci/gates/rollout.lock")
        let postgres = try GateLoader.parse(base + "lock: {kind: postgres, database: \"postgresql://ci@db/locks\"}\nname: storefront\n", file: "g.yaml")
        guard case .postgres(let database, let name)? = postgres.lock else { Issue.record("\(String(describing: postgres.lock))"); return }
        #expect(database == "postgresql://ci@db/locks" && name == "storefront")
        let command = try GateLoader.parse(base + "lock: {kind: command, acquire: [lockctl, take, \"${holder}\"], release: [lockctl, give]}\n", file: "g.yaml")
        guard case .command(let acquire, let renew, let release, let timeout)? = command.lock else { Issue.record("\(String(describing: command.lock))"); return }
        #expect(acquire == ["lockctl", "take", "${holder}"] && renew == nil && release == ["lockctl", "give"] && timeout == 30)
        #expect { _ = try GateLoader.parse(base + "lock: {kind: redis}\n", file: "g.yaml") } throws: { "\($0)".contains("g.yaml:3: lock.kind: 'redis' is not a lock kind") }
        #expect { _ = try GateLoader.parse(base + "lock: {kind: postgres, database: mysql://x}\n", file: "g.yaml") } throws: { "\($0)".contains("lock.database") }
    }

    @Test func everyProblemIsListedWithItsLine() {
        let yaml = """
            gateway: {url: ftp://x}
            contracts: {pacts: [], providers: {user-service: nowhere}}
            stages: {0: a.yaml, 25: [b]}
            consistency:
              - {source: "http://a/admin/export/users", target: x, colour: red}
            slos: [p95<fast]
            inconsistency_threshold: 200
            extra: 1
            metrics:
              - {url: nowhere, errors: {status: xx}, action: panic}
            """
        #expect {
            _ = try GateLoader.parse(yaml, file: "g.yaml")
        } throws: { error in
            let text = "\((error as? FileProblems)?.description ?? "")"
            let expected = ["g.yaml:1: gateway.url", "g.yaml:2: contracts.pacts", "g.yaml:2: contracts.providers.user-service", "g.yaml:3: stages.0",
                            "g.yaml:3: stages.25", "g.yaml:5: consistency[0].target", "consistency[0].colour", "g.yaml:6: slos[0]",
                            "g.yaml:7: inconsistency_threshold", "g.yaml:8: extra",
                            "g.yaml:10: metrics[0].url", "g.yaml:10: metrics[0].errors.status", "g.yaml:10: metrics[0].action", "metrics[0].threshold: missing"]
            for line in expected where !text.contains(line) { Issue.record("missing \(line) in:\n\(text)") }
            return true
        }
    }

    @Test func databaseTablePairsAreComparedWithLibpq() throws {
        let gate = try GateLoader.parse("""
            gateway: {url: "http://127.0.0.1:8000"}
            stages: {25: stage-25.yaml}
            consistency:
              - {name: orders, source: "postgresql://u@db/orders", target: "postgres://u@db/monolith", table: orders,
                 target_table: orders.orders, key: id, columns: [status, total], map: {total: total_amount}, target_may_have_more: true}
              - {source: "postgresql://u@db/users", target: "postgresql://u@db/monolith", table: users}
            """, file: "g.yaml")
        let orders = try #require(gate.consistency.first)
        #expect(orders.source == "postgresql://u@db/orders" && orders.table == "orders" && orders.targetTable == "orders.orders" && orders.key == "id")
        #expect(orders.columns == ["status", "total"] && orders.map == ["total": "total_amount"] && orders.targetMayHaveMore)
        #expect(gate.consistency[1].name == "users" && gate.consistency[1].key == "id" && gate.consistency[1].targetTable == nil)
        #expect {
            _ = try GateLoader.parse("""
                gateway: {url: "http://127.0.0.1:8000"}
                stages: {25: stage-25.yaml}
                consistency:
                  - {source: "postgresql://u@db/users", target: "http://m/admin/export/users"}
                  - {source: "http://s/admin/export/users", target: "http://m/admin/export/users", table: users, key: email}
                """, file: "g.yaml")
        } throws: { error in
            let text = "\(error)"
            let expected = ["g.yaml:4: consistency[0].target: needs a postgresql:// URL", "consistency[0].table: missing",
                            "g.yaml:5: consistency[1].table: is for postgresql:// sources", "g.yaml:5: consistency[1].key"]
            for line in expected where !text.contains(line) { Issue.record("missing \(line) in:\n\(text)") }
            return true
        }
    }

    @Test func aGateFileWithoutGatewayOrStagesSaysWhatIsMissing() {
        #expect {
            _ = try GateLoader.parse("name: empty\n", file: "g.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("gateway: missing") && text.contains("stages: missing")
        }
    }
}

struct GateJudgeSectionTests {
    @Test func theGatewaysSplitIsTheDefaultAndOtherRolloutsMustNameOne() throws {
        let gate = try GateLoader.parse("""
            gateway: {url: "http://127.0.0.1:9", admin_token: t}
            stages: {25: stage.yaml}
            judge:
              metrics: [{latency: all}]
            """, file: "gate.yaml")
        #expect(gate.split == .gateway && gate.judge?.metrics.count == 1)
        let problems = gateProblems("""
            target: http://127.0.0.1:9
            rollout: {kind: command, set: [set-weight, "${percent}"], get: [get-weight]}
            stages: {25: stage.yaml}
            judge:
              confidence: 1.2
              metrics: [{latency: all}]
            """)
        #expect(problems.contains { $0.hasPrefix("gate.yaml:5: judge: name the split:") }, "\(problems)")
        #expect(problems.contains("gate.yaml:5: judge.confidence: must be between 0.0 and 1.0, found 1.2"), "\(problems)")
        let own = try GateLoader.parse("""
            target: http://127.0.0.1:9
            rollout: {kind: command, set: [set-weight, "${percent}"], get: [get-weight]}
            stages: {25: stage.yaml}
            split: {header: X-Served-By, baseline: monolith, canary: orders-api}
            judge:
              metrics: [{error_rate: all}]
            """, file: "gate.yaml")
        #expect(own.split == PathSplit(header: "x-served-by", baseline: "monolith", canary: "orders-api"))
    }
}

struct ContractImplementationTests {
    @Test func aProviderMayHaveSeveralImplementationsAndAVerificationInstance() throws {
        let gate = try GateLoader.parse("""
            target: http://127.0.0.1:9
            rollout: {kind: command, set: [set-weight, "${percent}"], get: [get-weight]}
            stages: {25: stage.yaml}
            contracts:
              pacts: [pacts]
              providers:
                catalog:
                  - {label: monolith, base_url: "http://127.0.0.1:5100"}
                  - {label: new, url: "http://127.0.0.1:5200", verification_url: "http://127.0.0.1:5299", state_change_url: /_test/states}
            """, file: "gate.yaml")
        let providers = try #require(gate.contracts?.providers)
        #expect(providers.map(\.label) == ["monolith", "new"] && providers.map(\.name) == ["catalog", "catalog"])
        #expect(providers[0].replayURL == "http://127.0.0.1:5100" && providers[1].replayURL == "http://127.0.0.1:5299")
        #expect(providers[1].stateChangeURL == "http://127.0.0.1:5299/_test/states", "states are set on the verification instance")
        let problems = gateProblems("""
            target: http://127.0.0.1:9
            rollout: {kind: command, set: [set-weight, "${percent}"], get: [get-weight]}
            stages: {25: stage.yaml}
            contracts:
              pacts: [pacts]
              providers:
                catalog: [{url: "http://127.0.0.1:1"}, {url: "http://127.0.0.1:1"}]
            """)
        #expect(problems == ["gate.yaml:7: contracts.providers.catalog: give each implementation a distinct label (or URL)"], "\(problems)")
    }
}

struct ObservedStageTests {
    @Test func aStageWithNoLoadIsListedApart() throws {
        let gate = try GateLoader.parse("""
            target: http://127.0.0.1:9
            rollout: {kind: command, set: [set-weight, "${percent}"], get: [get-weight]}
            stages: {10: none, 25: stage.yaml}
            """, file: "gate.yaml")
        #expect(gate.observedStages == [10] && gate.stages.keys.sorted() == [25] && gate.allStages == [10, 25])
    }
}

struct ConflictingRolloutTests {
    @Test func anHTTPRolloutOfTheGatewaysOwnAPIIsRefused() {
        let problems = gateProblems("""
            gateway: {url: "http://127.0.0.1:8000", admin_token: t}
            rollout:
              kind: http
              set: {method: PUT, url: "http://127.0.0.1:8000/admin/rollout", body: '{"percent": ${percent}}'}
              get: {url: "http://127.0.0.1:8000/admin/rollout", path: $.percent}
            stages: {25: stage.yaml}
            """)
        #expect(problems.count == 1 && problems[0].hasPrefix("gate.yaml:3: rollout: kind http points at the gateway's own /admin/rollout"), "\(problems)")
    }
}

struct BrokerContractsTests {
    @Test func aBrokerSectionIsReadWithItsDefaults() throws {
        let gate = try GateLoader.parse("""
            target: http://127.0.0.1:8000
            rollout: {kind: command, set: ["true"], get: [echo, "25"]}
            stages: {25: none}
            contracts:
              providers: {catalog: "http://127.0.0.1:8002"}
              broker:
                url: https://broker.example.com
                environment: production
                providers: [catalog]
                pacticipants: {order-service: "2.4.0", catalog: "1.9.0"}
            """, file: "gate.yaml")
        let broker = try #require(gate.contracts?.broker)
        #expect(broker.environment == "production" && broker.providers == ["catalog"])
        #expect(broker.pacticipants.map(\.name) == ["order-service", "catalog"] && broker.pacticipants.map(\.version) == ["2.4.0", "1.9.0"])
        #expect(broker.selectors.count == 1 && broker.selectors[0]["environment"]?.stringValue == "production", "the pacts of what the environment runs")
        #expect(gate.contracts?.pacts.isEmpty == true, "a broker alone is enough")
    }

    @Test func everyBrokerProblemNamesItsField() {
        let problems = gateProblems("""
            target: http://127.0.0.1:8000
            stages: {25: none}
            contracts:
              providers: {catalog: "http://127.0.0.1:8002"}
              broker:
                url: broker.example.com
                providers: [payments]
                selectors: [{mainbranch: true}]
                pacticipants: {catalog: ""}
            """)
        for expected in ["contracts.broker.url: the broker's http(s) URL", "contracts.broker.environment: the environment the stage deploys to",
                         "contracts.broker.selectors[0].mainbranch is not a consumer version selector key", "contracts.broker.pacticipants.catalog: the version of catalog"] {
            #expect(problems.contains { $0.contains(expected) }, "\(expected): \(problems)")
        }
    }
}

/// Every problem `GateLoader` finds in `text` (read as gate.yaml), as `file:line: field: message`.
func gateProblems(_ text: String) -> [String] {
    do {
        _ = try GateLoader.parse(text, file: "gate.yaml")
        return []
    } catch let error as FileProblems {
        return error.problems.map(\.description)
    } catch {
        return ["\(error)"]
    }
}
